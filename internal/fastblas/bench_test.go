package fastblas

import (
	"fmt"
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

// BenchmarkSgemm compares gonum's Sgemm and ours on one thread, on a
// forward-pass layer (256 rows, hidden 1024) and on a product small enough
// to be near the fallback threshold. bench/fastblas has the full table.
func BenchmarkSgemm(b *testing.B) {
	for _, s := range [][3]int{{256, 1024, 1024}, {48, 48, 48}} {
		m, n, k := s[0], s[1], s[2]
		x, y, c := make([]float32, m*k), make([]float32, n*k), make([]float32, m*n)
		for _, im := range []subject{{"gonum", goBLAS{fallback: true}}, {"ours", goBLAS{threads: 1}}} {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, k, im.name), func(b *testing.B) {
				for b.Loop() {
					im.blas.Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, x, k, y, k, 0, c, n)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
			})
		}
	}
}
