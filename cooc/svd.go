package cooc

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// svdPlan says how truncatedSVD runs.
type svdPlan struct {
	rank       int    // singular triplets wanted
	oversample int    // extra directions of the range finder
	power      int    // power iterations
	seed       uint64 // of the random test matrix
	progress   func(done, total int)
}

// truncatedSVD returns the leading left singular vectors of m (one column
// each, rows × rank) and the singular values, largest first, by the
// randomized range finder with subspace iteration of Halko, Martinsson &
// Tropp (2011, algorithms 4.4 and 5.1): Y = (M Mᵀ)^q M Ω for a random Ω
// with rank+oversample columns; then the SVD of the small matrix B = QᵀM,
// Q an orthonormal basis of Y, from the eigenvectors of
// B Bᵀ = (MᵀQ)ᵀ(MᵀQ). Everything is float64, and every product sums in a
// fixed order, so the result is the same for a seed on any number of
// cores. Each column's largest-magnitude entry (the first of equals) is
// made positive.
//
// Halko et al. orthonormalize after every product with M or Mᵀ, lest the
// directions of small singular values drown in rounding. Here only the
// products with M are: MᵀQ, Q orthonormal, is no worse conditioned than M,
// so M(MᵀQ) is conditioned as M² at worst, ample room for float64 when,
// as for PPMI matrices, the retained singular values span a few decades
// at most. (Cholesky QR checks, and Householder QR takes over if not.)
//
// rank and the number of directions are lowered to min(rows, cols).
func truncatedSVD(ctx context.Context, m *csr, plan svdPlan) (blas64.General, []float64, error) {
	l := min(plan.rank+plan.oversample, m.rows, m.cols)
	k := min(plan.rank, l)
	if k == 0 {
		return blas64.General{}, nil, errors.New("cooc: SVD of an empty matrix")
	}
	total := 2 + 2*plan.power
	done := 0
	step := func() {
		done++
		if plan.progress != nil {
			plan.progress(done, total)
		}
	}
	z := randomMatrix(m.cols, l, plan.seed) // Ω, then Mᵀ times the range
	y := newGeneral(m.rows, l)              // the range, M times z
	blocks := m.colBlocks()
	for i := range plan.power + 1 {
		if i > 0 {
			if err := m.mulT(ctx, z, y, blocks); err != nil {
				return blas64.General{}, nil, err
			}
			step()
		}
		if err := m.mul(ctx, y, z); err != nil {
			return blas64.General{}, nil, err
		}
		orthonormalize(y)
		step()
	}
	// One more pass makes Q orthonormal to rounding; the passes before
	// only had to keep the basis well conditioned.
	orthonormalize(y)
	if err := m.mulT(ctx, z, y, blocks); err != nil {
		return blas64.General{}, nil, err
	}
	ur, sigma, err := leftSingular(z, k)
	if err != nil {
		return blas64.General{}, nil, err
	}
	u := blas64.General{Rows: m.rows, Cols: k, Stride: k}
	if len(z.Data) >= m.rows*k {
		u.Data = z.Data[:m.rows*k] // z is spent
	} else {
		u.Data = make([]float64, m.rows*k)
	}
	blas64.Gemm(blas.NoTrans, blas.NoTrans, 1, y, ur, 0, u)
	step()
	fixSigns(u)
	return u, sigma, nil
}

// leftSingular returns the k leading left singular vectors and values of
// B = zᵀ, from the eigen-decomposition of zᵀz = BBᵀ. Squaring costs
// accuracy only for singular values far below the largest (relative
// error about 1e-16·(σ₁/σᵢ)²), which the vectors weigh least.
func leftSingular(z blas64.General, k int) (blas64.General, []float64, error) {
	l := z.Cols
	g := newGeneral(l, l)
	blas64.Gemm(blas.Trans, blas.NoTrans, 1, z, z, 0, g)
	var eig mat.EigenSym
	if !eig.Factorize(mat.NewSymDense(l, g.Data), true) {
		return blas64.General{}, nil, errors.New("cooc: eigen-decomposition of the projected matrix did not converge")
	}
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	values := eig.Values(nil) // ascending
	ur := newGeneral(l, k)
	sigma := make([]float64, k)
	for j := range k {
		src := l - 1 - j
		sigma[j] = math.Sqrt(max(values[src], 0))
		for i := range l {
			ur.Data[i*ur.Stride+j] = vecs.At(i, src)
		}
	}
	return ur, sigma, nil
}

func newGeneral(rows, cols int) blas64.General {
	return blas64.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float64, rows*cols)}
}

// randomMatrix fills a matrix with uniform draws from [−1, 1), row by
// row from a PCG stream, so that it is the same on every platform and Go
// release.
func randomMatrix(rows, cols int, seed uint64) blas64.General {
	g := newGeneral(rows, cols)
	src := rand.NewPCG(seed, 0x636f6f63) // "cooc"
	for i := range g.Data {
		g.Data[i] = float64(src.Uint64()>>11)*0x1p-52 - 1
	}
	return g
}

// orthonormalize replaces the columns of a (rows ≥ cols) by a basis of
// their span, orthonormal up to about 1e-16 times the square of a's
// condition number.
//
// It runs Cholesky QR (R from the Cholesky factor of aᵀa, then a·R⁻¹),
// which is made of products that use every core and is stable while a's
// condition number stays well under 1e8; a second call then makes the
// basis orthonormal to rounding (CholeskyQR2). The range finder's
// matrices are that well conditioned unless the matrix has a smaller rank
// than asked for; then Householder QR, slower but unconditionally stable,
// takes over.
func orthonormalize(a blas64.General) {
	if !choleskyQR(a) {
		householderQR(a)
	}
}

// minPivotRatio is the smallest ratio of the Cholesky factor's diagonal
// entries that choleskyQR accepts: below it a's condition number may pass
// 1e7, past which one pass leaves too little orthogonality for the second
// to restore.
const minPivotRatio = 1e-7

// choleskyQR sets a to a·R⁻¹ where RᵀR = aᵀa, or reports false (leaving
// a as it was) when aᵀa is too close to singular.
func choleskyQR(a blas64.General) bool {
	g := newGeneral(a.Cols, a.Cols)
	blas64.Gemm(blas.Trans, blas.NoTrans, 1, a, a, 0, g)
	t, ok := lapack64.Potrf(blas64.Symmetric{Uplo: blas.Upper, N: g.Rows, Stride: g.Stride, Data: g.Data})
	if !ok {
		return false
	}
	lo, hi := math.Inf(1), 0.0
	for i := range t.N {
		d := t.Data[i*t.Stride+i]
		lo, hi = min(lo, d), max(hi, d)
	}
	if !(lo > minPivotRatio*hi) {
		return false
	}
	// Rows of a·R⁻¹ are independent: solve blocks of them on every core.
	const block = 256
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for lo := 0; lo < a.Rows; lo += block {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			rows := blas64.General{Rows: min(block, a.Rows-lo), Cols: a.Cols, Stride: a.Stride, Data: a.Data[lo*a.Stride:]}
			blas64.Trsm(blas.Right, blas.NoTrans, 1, t, rows)
		})
	}
	wg.Wait()
	return true
}

// householderQR sets a to Q, where QR was a.
func householderQR(a blas64.General) {
	tau := make([]float64, a.Cols)
	work := make([]float64, 1)
	lapack64.Geqrf(a, tau, work, -1)
	lapack64.Orgqr(a, tau, work, -1)
	work = make([]float64, int(work[0]))
	lapack64.Geqrf(a, tau, work, len(work))
	lapack64.Orgqr(a, tau, work, len(work))
}

// fixSigns flips each column whose largest-magnitude entry (the first of
// equals) is negative, so that the factors of an SVD, defined up to sign,
// come out one way.
func fixSigns(u blas64.General) {
	for j := range u.Cols {
		best, at := -1.0, 0
		for i := range u.Rows {
			if v := math.Abs(u.Data[i*u.Stride+j]); v > best {
				best, at = v, i
			}
		}
		if u.Data[at*u.Stride+j] >= 0 {
			continue
		}
		for i := range u.Rows {
			u.Data[i*u.Stride+j] = -u.Data[i*u.Stride+j]
		}
	}
}
