package fastblas

import (
	"fmt"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas"
)

// BenchmarkKernel runs the micro-kernel on panels in L1: the peak the
// blocked product can approach.
func BenchmarkKernel(b *testing.B) {
	if !hasKernel {
		b.Skip("no AVX2/FMA kernel on this CPU")
	}
	x := make([]float32, mr*kc)
	y := make([]float32, nr*kc)
	c := make([]float32, mr*nr)
	for b.Loop() {
		kernel6x16(kc, &x[0], 4, 4*mr, &y[0], &c[0], nr, 1, 1, 1)
	}
	b.ReportMetric(2*mr*nr*kc*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
}

// BenchmarkSgemm compares gonum's Sgemm and the kernel on one core, on a
// forward-pass layer (256 rows, hidden 1024) and on products near the
// bounds of worthPacking. bench/fastblas has the full table.
func BenchmarkSgemm(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	cases := []struct {
		tB      blas.Transpose
		m, n, k int
	}{
		{blas.Trans, 256, 1024, 1024},
		{blas.Trans, 48, 48, 48},
		{blas.Trans, 8, 32, 256},
		{blas.Trans, 8, 48, 256},
		{blas.Trans, 12, 16, 64},
		{blas.NoTrans, 6, 8, 256},
		{blas.NoTrans, 6, 64, 4},
	}
	for _, s := range cases {
		m, n, k := s.m, s.n, s.k
		ldb := n
		if s.tB == blas.Trans {
			ldb = k
		}
		x, y, c := filled(m*k), filled(n*k), make([]float32, m*n)
		for _, im := range []subject{{"gonum", goBLAS{fallback: true}}, {"kernel", goBLAS{always: true, threads: 1}}} {
			b.Run(fmt.Sprintf("N%s-%dx%dx%d/%s", tname(s.tB), m, n, k, im.name), func(b *testing.B) {
				for b.Loop() {
					im.blas.Sgemm(blas.NoTrans, s.tB, m, n, k, 1, x, k, y, ldb, 0, c, n)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
			})
		}
	}
}

// filled returns n nonzero floats: gonum skips zeros of A in some loops.
func filled(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i%7) - 3.5
	}
	return x
}
