package fastblas

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// goBLAS is gonum's pure-Go float32 BLAS with Sgemm replaced, on CPUs with
// AVX2 and FMA, by a packed and blocked product on an assembly
// micro-kernel. Every other routine is gonum's.
//
// The zero value is the implementation Float32 returns in the pure-Go build;
// the fields exist so tests can reach each path.
type goBLAS struct {
	gonum.Implementation

	// fallback sends every Sgemm to gonum's.
	fallback bool
	// always uses the kernel however small the product.
	always bool
	// threads, when positive, overrides the process-wide setting.
	threads int
}

// Sgemm performs one of the matrix-matrix operations
//
//	C = alpha * op(A) * op(B) + beta * C
//
// where op(X) is X or Xᵀ as tA and tB say, op(A) is m×k, op(B) is k×n and C
// is m×n, all row-major. As in reference BLAS, C is not read when beta is 0
// and A and B are not read when alpha is 0.
func (g goBLAS) Sgemm(tA, tB blas.Transpose, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	aT, bT := checkSgemm(tA, tB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if alpha == 0 || k == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	if g.fallback || !hasKernel || (!g.always && !worthPacking(aT, bT, m, n, k)) {
		g.Implementation.Sgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	p := newProduct(aT, bT, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	threads := g.threads
	if threads <= 0 {
		threads = Threads()
	}
	p.run(threads)
}

// newProduct sets C = alpha·op(A)·op(B) + beta·C up as D = X·Y. Both
// factors are read with k contiguous when A is not transposed and B is
// (the A·Bᵀ of every hot path here); one of them must then be transposed
// into packed panels, and the smaller one is, by computing Cᵀ = B·Aᵀ when
// A has fewer rows. Aᵀ·Bᵀ is always swapped: as B·A neither factor needs
// transposing.
func newProduct(aT, bT bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) *product {
	p := &product{m: m, n: n, k: k, alpha: alpha, beta: beta, c: c, ldc: ldc,
		x: operand{a, lda, aT}, y: operand{b, ldb, bT}}
	if bT && (aT || m < n) {
		p.m, p.n, p.cT = n, m, true
		p.x, p.y = operand{b, ldb, !bT}, operand{a, lda, !aT}
	}
	return p
}

// worthPacking reports whether the kernel beats gonum on an m×k by k×n
// product. Packing costs O((m+n)k) and a product thinner than the 6×16
// tile wastes lanes, so small products stay with gonum. How small depends
// on gonum's loop. A·Bᵀ is dot products of contiguous rows, quick on small
// shapes; there the shorter side counts twice, as it becomes the tile's
// 16-lane width (newProduct swaps it there). The other cases are axpy
// updates, slow on all but the thinnest products. The bounds are where the
// two measured even on one core, for k from 4 to 256 (BenchmarkSgemm
// samples them).
func worthPacking(aT, bT bool, m, n, k int) bool {
	if !aT && bT {
		s, l := min(m, n), max(m, n)
		return s >= 6 && s*s*l >= 48*48
	}
	return m >= 6 && m*k >= 48
}

// scale sets C = beta·C, and C = 0 without reading it when beta is 0.
func scale(m, n int, beta float32, c []float32, ldc int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// checkSgemm panics, with gonum's messages, on arguments gonum would refuse,
// and reports whether A and B are transposed.
func checkSgemm(tA, tB blas.Transpose, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) (aT, bT bool) {
	aT, okA := transposed(tA)
	bT, okB := transposed(tB)
	switch {
	case !okA || !okB:
		panic("blas: illegal transpose")
	case m < 0:
		panic("blas: m < 0")
	case n < 0:
		panic("blas: n < 0")
	case k < 0:
		panic("blas: k < 0")
	case aT && lda < max(1, m), !aT && lda < max(1, k):
		panic("blas: bad leading dimension of A")
	case bT && ldb < max(1, k), !bT && ldb < max(1, n):
		panic("blas: bad leading dimension of B")
	case ldc < max(1, n):
		panic("blas: bad leading dimension of C")
	case m == 0 || n == 0:
		return aT, bT
	case aT && len(a) < (k-1)*lda+m, !aT && len(a) < (m-1)*lda+k:
		panic("blas: insufficient length of a")
	case bT && len(b) < (n-1)*ldb+k, !bT && len(b) < (k-1)*ldb+n:
		panic("blas: insufficient length of b")
	case len(c) < (m-1)*ldc+n:
		panic("blas: insufficient length of c")
	}
	return aT, bT
}

// transposed reports whether t asks for the transpose (real matrices have
// no conjugate) and whether t is a legal value.
func transposed(t blas.Transpose) (trans, ok bool) {
	switch t {
	case blas.NoTrans:
		return false, true
	case blas.Trans, blas.ConjTrans:
		return true, true
	}
	return false, false
}
