package omp

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/transplant-dev/transplant/internal/fastblas"
)

// float is the precision of the correlation screen.
type float interface{ ~float32 | ~float64 }

// kernels is the BLAS subset the screen needs, in one precision.
type kernels[F float] struct {
	// gemmT sets c = a·bᵀ for row-major a (m×k) and b (n×k).
	gemmT func(m, n, k int, a []F, lda int, b []F, ldb int, c []F, ldc int)
	// tile is the block update of the correlations.
	tile tileFunc[F]
	// iamax returns the first index of the largest |x_i|.
	iamax func(x []F) int
	// unit is the unit roundoff.
	unit float64
}

func kernels32() kernels[float32] {
	impl := fastblas.Float32()
	return kernels[float32]{
		gemmT: func(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
			impl.Sgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, lda, b, ldb, 0, c, ldc)
		},
		tile:  tile32(),
		iamax: iamax32,
		unit:  0x1p-24,
	}
}

// kernels64 uses gonum's pure-Go float64 BLAS: the float64 screen is the
// careful mode, not the fast one.
func kernels64() kernels[float64] {
	impl := gonum.Implementation{}
	return kernels[float64]{
		gemmT: func(m, n, k int, a []float64, lda int, b []float64, ldb int, c []float64, ldc int) {
			impl.Dgemm(blas.NoTrans, blas.Trans, m, n, k, 1, a, lda, b, ldb, 0, c, ldc)
		},
		tile:  tile64(),
		iamax: iamax64,
		unit:  0x1p-53,
	}
}

// iamax32 returns the first index of the largest |x_i|. For finite
// floats, clearing the sign bit leaves bit patterns that order as the
// magnitudes do. It runs on one block, too short to repay a BLAS call.
func iamax32(x []float32) int {
	var best uint32
	at := 0
	for i, v := range x {
		if a := math.Float32bits(v) &^ (1 << 31); a > best {
			best, at = a, i
		}
	}
	return at
}

// iamax64 is iamax32 for float64.
func iamax64(x []float64) int {
	var best uint64
	at := 0
	for i, v := range x {
		if a := math.Float64bits(v) &^ (1 << 63); a > best {
			best, at = a, i
		}
	}
	return at
}

// dsdot returns gonum's Dsdot, which accumulates in float64 as the BLAS
// specifies. OpenBLAS 0.3.21's x86-64 kernel does not past 32 elements (an
// error of 1e-6 relative at 1,024, against 1e-15), which the Cholesky
// update cannot afford.
func dsdot() func(a, b []float32) float64 {
	impl := gonum.Implementation{}
	return func(a, b []float32) float64 { return impl.Dsdot(len(a), a, 1, b, 1) }
}

// gammaN is Higham's γ_n = nu/(1−nu), the relative error bound of a sum of
// n products in any order.
func gammaN(n int, unit float64) float64 {
	nu := float64(n) * unit
	return nu / (1 - nu)
}
