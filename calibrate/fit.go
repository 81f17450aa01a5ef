package calibrate

import (
	"errors"
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"

	"github.com/transplant-dev/transplant/internal/fastblas"
)

// ErrInput reports states, targets or rows whose sizes do not agree.
var ErrInput = errors.New("calibrate: sizes do not agree")

// A Fitter fits head rows against a fixed set of stay contexts. For a
// prior row p, states h_i (the base model's final hidden states where the
// token occurs) and targets y_i, Fit returns the x that minimizes
//
//	Σ_i (x·h_i − y_i)²  +  Σ_r (x·s_r − p·s_r)²  +  λ‖x − p‖²
//
// over the stay contexts s_r: the logits reach the targets where the token
// occurs, stay where the prior put them on other contexts, and the row
// moves no further than it must. The solution is
//
//	x = p + (HᵀH + M)⁻¹ Hᵀ (y − H p),  M = SᵀS + λI,
//
// computed as p + L⁻ᵀ G (I + GᵀG)⁻¹ (y − H p) with M = LLᵀ factored once
// and G = L⁻¹Hᵀ: each row costs O(d²n + n³) for n states of width d. With
// r stay contexts and n + r < d, Fit solves the same problem in the span
// of the states and the stay contexts instead (see fitDual), in
// O(d·n·(n + r) + (n + r)³): a tenth of the cost for 128 states and 256
// stay contexts of width 4,096.
//
// When the stay contexts have targets of their own, t_r instead of p·s_r
// (another model's logits there), the same x follows from Fit with the
// prior Anchor returns: M⁻¹(Sᵀt + λp) in place of p.
// A Fitter is safe for concurrent use.
type Fitter struct {
	dim    int
	lambda float64
	lower  blas64.Triangular // L, M = LLᵀ
	// stay holds the stay contexts (r × d) and stayGram SSᵀ when Fit may
	// work in their span (r < d); both are empty for a Gram fitter.
	stay     blas64.General
	stayGram []float64
}

// NewFitter factors M = SᵀS + λI for the stay contexts, the rows of stay,
// and keeps them when they are fewer than the width (see fitDual).
// λ must be positive. SᵀS is summed in float64 over products of blocks of
// stayBlock contexts taken in float32 (a float64 loop took 6 s for 256
// contexts of width 4,096).
func NewFitter(stay blas32.General, lambda float64) (*Fitter, error) {
	if lambda <= 0 {
		return nil, fmt.Errorf("calibrate: ridge λ = %g, want > 0", lambda)
	}
	d := stay.Cols
	gram := make([]float64, d*d)
	prod := make([]float32, d*d)
	for lo := 0; lo < stay.Rows; lo += stayBlock {
		fastblas.AddGram(gram, min(stayBlock, stay.Rows-lo), d, stay.Data[lo*stay.Stride:], stay.Stride, prod)
	}
	f, err := NewGramFitter(gram, d, lambda)
	if err != nil || stay.Rows >= d {
		return f, err
	}
	r := stay.Rows
	f.stay = blas64.General{Rows: r, Cols: d, Stride: d, Data: make([]float64, r*d)}
	for i := range r {
		for j, v := range stay.Data[i*stay.Stride : i*stay.Stride+d] {
			f.stay.Data[i*d+j] = float64(v)
		}
	}
	f.stayGram = make([]float64, r*r)
	if r > 0 {
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, f.stay, f.stay, 0, blas64.General{Rows: r, Cols: r, Stride: r, Data: f.stayGram})
	}
	return f, nil
}

// stayBlock is how many stay contexts NewFitter multiplies at once.
const stayBlock = 256

// NewGramFitter is NewFitter for stay contexts given by their Gram matrix
// SᵀS (d×d, row-major), for callers that sum it block by block over more
// contexts than they could hold.
func NewGramFitter(gram []float64, d int, lambda float64) (*Fitter, error) {
	if lambda <= 0 {
		return nil, fmt.Errorf("calibrate: ridge λ = %g, want > 0", lambda)
	}
	if len(gram) != d*d {
		return nil, fmt.Errorf("%w: Gram matrix of %d values for width %d", ErrInput, len(gram), d)
	}
	m := mat.NewSymDense(d, nil)
	for i := range d {
		for j := i; j < d; j++ {
			m.SetSym(i, j, gram[i*d+j])
		}
		m.SetSym(i, i, m.At(i, i)+lambda)
	}
	return factor(m, lambda)
}

func factor(m *mat.SymDense, lambda float64) (*Fitter, error) {
	var ch mat.Cholesky
	if !ch.Factorize(m) {
		return nil, fmt.Errorf("calibrate: SᵀS + λI is not positive definite (λ = %g)", lambda)
	}
	var l mat.TriDense
	ch.LTo(&l)
	return &Fitter{dim: m.SymmetricDim(), lambda: lambda, lower: l.RawTriangular()}, nil
}

// Anchor writes into dst M⁻¹(st + λp), where st = Sᵀt sums the stay
// contexts weighted by their own targets: the row the stay contexts alone
// fit, and the prior to give Fit for them.
func (f *Fitter) Anchor(dst, st, prior []float32) error {
	d := f.dim
	if len(dst) != d || len(st) != d || len(prior) != d {
		return fmt.Errorf("%w: width %d, row %d, Sᵀt %d, prior %d", ErrInput, d, len(dst), len(st), len(prior))
	}
	v := blas64.Vector{N: d, Inc: 1, Data: make([]float64, d)}
	for j := range v.Data {
		v.Data[j] = float64(st[j]) + f.lambda*float64(prior[j])
	}
	blas64.Trsv(blas.NoTrans, f.lower, v) // L⁻¹
	blas64.Trsv(blas.Trans, f.lower, v)   // L⁻ᵀ
	for j := range dst {
		dst[j] = float32(v.Data[j])
	}
	return nil
}

// Fit writes into dst the fitted row for prior, from the rows of states
// and their targets y (one per row). With no states it copies prior.
func (f *Fitter) Fit(dst, prior []float32, states blas32.General, y []float64) error {
	d, n := f.dim, states.Rows
	if len(dst) != d || len(prior) != d || (n > 0 && states.Cols != d) || len(y) != n {
		return fmt.Errorf("%w: width %d, row %d/%d, states %d×%d, %d targets", ErrInput, d, len(dst), len(prior), n, states.Cols, len(y))
	}
	copy(dst, prior)
	if n == 0 {
		return nil
	}
	if f.stayGram != nil && n+f.stay.Rows < d {
		return f.fitDual(dst, prior, states, y)
	}
	// G = L⁻¹Hᵀ, d×n; r = y − H p.
	g := blas64.General{Rows: d, Cols: n, Stride: n, Data: make([]float64, d*n)}
	r := make([]float64, n)
	for i := range n {
		h := states.Data[i*states.Stride : i*states.Stride+d]
		dot := 0.0
		for j, v := range h {
			g.Data[j*n+i] = float64(v)
			dot += float64(v) * float64(prior[j])
		}
		r[i] = y[i] - dot
	}
	blas64.Trsm(blas.Left, blas.NoTrans, 1, f.lower, g)
	// c = (I + GᵀG)⁻¹ r
	c := mat.NewSymDense(n, nil)
	blas64.Syrk(blas.Trans, 1, g, 0, c.RawSymmetric())
	for i := range n {
		c.SetSym(i, i, c.At(i, i)+1)
	}
	var ch mat.Cholesky
	if !ch.Factorize(c) {
		return fmt.Errorf("calibrate: I + GᵀG is not positive definite (%d states)", n)
	}
	var cv mat.VecDense
	if err := ch.SolveVecTo(&cv, mat.NewVecDense(n, r)); err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	// x − p = L⁻ᵀ G c
	v := blas64.Vector{N: d, Inc: 1, Data: make([]float64, d)}
	blas64.Gemv(blas.NoTrans, 1, g, blas64.Vector{N: n, Inc: 1, Data: cv.RawVector().Data}, 0, v)
	blas64.Trsv(blas.Trans, f.lower, v)
	for j := range dst {
		dst[j] = float32(float64(prior[j]) + v.Data[j])
	}
	return nil
}

// fitDual is Fit in the span of the states H and the stay contexts S: the
// change z = x − p minimizes ‖Az − b‖² + λ‖z‖² for A = [H; S] and b =
// [y − Hp; 0], so z = Aᵀc with (AAᵀ + λI)c = b, a system of n + r
// unknowns whose block SSᵀ the Fitter holds.
func (f *Fitter) fitDual(dst, prior []float32, states blas32.General, y []float64) error {
	d, n, r := f.dim, states.Rows, f.stay.Rows
	h := blas64.General{Rows: n, Cols: d, Stride: d, Data: make([]float64, n*d)}
	b := make([]float64, n+r)
	for i := range n {
		dot := 0.0
		for j, v := range states.Data[i*states.Stride : i*states.Stride+d] {
			h.Data[i*d+j] = float64(v)
			dot += float64(v) * float64(prior[j])
		}
		b[i] = y[i] - dot
	}
	m := n + r
	k := mat.NewSymDense(m, nil)
	raw := k.RawSymmetric()
	blas64.Syrk(blas.NoTrans, 1, h, 0, blas64.Symmetric{Uplo: blas.Upper, N: n, Stride: m, Data: raw.Data})
	if r > 0 {
		hs := blas64.General{Rows: n, Cols: r, Stride: m, Data: raw.Data[n:]}
		blas64.Gemm(blas.NoTrans, blas.Trans, 1, h, f.stay, 0, hs)
		for i := range r {
			copy(raw.Data[(n+i)*m+n+i:(n+i+1)*m], f.stayGram[i*r+i:(i+1)*r])
		}
	}
	for i := range m {
		raw.Data[i*m+i] += f.lambda
	}
	var ch mat.Cholesky
	if !ch.Factorize(k) {
		return fmt.Errorf("calibrate: AAᵀ + λI is not positive definite (%d states, %d stay contexts)", n, r)
	}
	var c mat.VecDense
	if err := ch.SolveVecTo(&c, mat.NewVecDense(m, b)); err != nil {
		return fmt.Errorf("calibrate: %w", err)
	}
	z := blas64.Vector{N: d, Inc: 1, Data: make([]float64, d)}
	cv := c.RawVector().Data
	blas64.Gemv(blas.Trans, 1, h, blas64.Vector{N: n, Inc: 1, Data: cv[:n]}, 0, z)
	if r > 0 {
		blas64.Gemv(blas.Trans, 1, f.stay, blas64.Vector{N: r, Inc: 1, Data: cv[n:]}, 1, z)
	}
	for j := range dst {
		dst[j] = float32(float64(prior[j]) + z.Data[j])
	}
	return nil
}
