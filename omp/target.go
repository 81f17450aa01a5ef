package omp

import "math"

// dependentTol is the squared distance from the span of the support,
// relative to the atom's squared norm, at or below which an atom counts as
// linearly dependent on the support. It sits far above float64 rounding of
// the Cholesky update and far below any distance that float32 inputs can
// express meaningfully.
const dependentTol = 1e-12

// A target is one pursuit in flight: the Cholesky factor L of the Gram
// matrix of its support, D_S D_Sᵀ = L Lᵀ, and z = L⁻¹ D_S x, from which the
// least-squares coefficients follow by one back substitution. Everything
// here is float64 and computed from the float32 inputs exactly rounded, so
// that the coefficients do not depend on the precision of the screen.
//
// The screen itself starts from base correlations R r_b of the residual
// r_b left by the base coefficients γ_b (at first r_b = x and γ_b = 0) and
// subtracts the Gram columns weighted by γ − γ_b; see engine.
type target struct {
	id   int
	x    []float32
	xx   float64 // ‖x‖²
	tol2 float64 // stop once res2 ≤ tol2; negative when disabled
	t    int
	l    []float64 // packed lower triangle: row i starts at i(i+1)/2
	z    []float64
	res2 float64 // ‖x‖² − ‖z‖², the squared residual norm

	support []int32   // aliases the Solution
	coef    []float64 // aliases the Solution

	base     []float64 // γ_b, zero past the support it was taken at
	baseNorm float64   // ‖r_b‖
	fresh    bool      // γ = γ_b: no atom added since the base was taken

	need int32 // atom whose Gram column the next step needs, or -1
	done bool
}

// dict is the float32 dictionary with its exact row norms.
type dict struct {
	data   []float32
	stride int
	cols   int
	norm2  []float64 // ‖d_j‖²
	// dot is the inner product of two float32 vectors accumulated in
	// float64, where every product is exact (BLAS dsdot).
	dot func(a, b []float32) float64
}

func (d *dict) row(j int) []float32 { return d.data[j*d.stride : j*d.stride+d.cols] }

// add appends atom j to the support and refits the coefficients. It
// reports false, leaving the target unchanged, when j is numerically in
// the span of the support. scratch needs room for K values.
func (tg *target) add(d *dict, j int, scratch []float64) bool {
	t := tg.t
	dj := d.row(j)
	w := scratch[:t]
	for i, s := range tg.support[:t] {
		w[i] = d.dot(d.row(int(s)), dj)
	}
	// Forward substitution L w = D_S d_j, in place.
	var ww float64
	for i := range w {
		row := tg.l[i*(i+1)/2:]
		v := w[i]
		for k := range i {
			v -= row[k] * w[k]
		}
		w[i] = v / row[i]
		ww += w[i] * w[i]
	}
	d2 := d.norm2[j] - ww
	if !(d2 > dependentTol*d.norm2[j]) {
		return false
	}
	ltt := math.Sqrt(d2)
	row := tg.l[t*(t+1)/2:]
	copy(row, w)
	row[t] = ltt
	v := d.dot(dj, tg.x)
	for i, wi := range w {
		v -= wi * tg.z[i]
	}
	tg.z[t] = v / ltt
	tg.res2 -= tg.z[t] * tg.z[t]
	tg.support[t] = int32(j)
	tg.t++
	tg.backSubstitute()
	tg.fresh = false
	return true
}

// backSubstitute solves Lᵀ γ = z for the coefficients.
func (tg *target) backSubstitute() {
	t := tg.t
	for i := t - 1; i >= 0; i-- {
		v := tg.z[i]
		for k := i + 1; k < t; k++ {
			v -= tg.l[k*(k+1)/2+i] * tg.coef[k]
		}
		tg.coef[i] = v / tg.l[i*(i+1)/2+i]
	}
}

// residual writes x − Σ γ_i d_i into r, in float64.
func (tg *target) residual(d *dict, r []float64) {
	for c, v := range tg.x {
		r[c] = float64(v)
	}
	for i, s := range tg.support[:tg.t] {
		g := tg.coef[i]
		for c, v := range d.row(int(s)) {
			r[c] -= g * float64(v)
		}
	}
}

// dot64 is the inner product of two float32 vectors accumulated in
// float64, where every product is exact.
func dot64(a, b []float32) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += float64(a[i]) * float64(b[i])
		s1 += float64(a[i+1]) * float64(b[i+1])
		s2 += float64(a[i+2]) * float64(b[i+2])
		s3 += float64(a[i+3]) * float64(b[i+3])
	}
	for ; i < len(a); i++ {
		s0 += float64(a[i]) * float64(b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// dot64r is the inner product of a float32 and a float64 vector.
func dot64r(a []float32, r []float64) float64 {
	r = r[:len(a)]
	var s0, s1 float64
	i := 0
	for ; i+2 <= len(a); i += 2 {
		s0 += float64(a[i]) * r[i]
		s1 += float64(a[i+1]) * r[i+1]
	}
	if i < len(a) {
		s0 += float64(a[i]) * r[i]
	}
	return s0 + s1
}
