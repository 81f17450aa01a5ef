package main

import (
	"math"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"
)

// agreement compares two runs' selections target by target.
type agreement struct {
	Compared  int `json:"compared"`
	Identical int `json:"identical"`
	// Where two paths part, the exact (float64) correlations of the two
	// choices with the common prefix's residual say who was right, and by
	// how much: a float tie has a relative gap near float32 rounding.
	Parted     int     `json:"parted"`
	OursBetter int     `json:"ours_exactly_better"`
	MaxGap     float64 `json:"max_relative_gap"`
}

// compare compares ordered supports, ours against theirs.
func compare(d, x blas32.General, ours, theirs [][]int32) agreement {
	var a agreement
	for i := range ours {
		a.Compared++
		s := 0
		for s < len(ours[i]) && s < len(theirs[i]) && ours[i][s] == theirs[i][s] {
			s++
		}
		if s == len(ours[i]) && s == len(theirs[i]) {
			a.Identical++
			continue
		}
		a.Parted++
		if s == len(ours[i]) || s == len(theirs[i]) {
			continue // one stopped earlier: no choice to compare
		}
		ca, cb := exactCorrelations(d, x, i, ours[i][:s], ours[i][s], theirs[i][s])
		if ca >= cb {
			a.OursBetter++
		}
		a.MaxGap = max(a.MaxGap, math.Abs(ca-cb)/max(ca, cb))
	}
	return a
}

// exactCorrelations returns |⟨d_a, r⟩| and |⟨d_b, r⟩| in float64, with r the
// least-squares residual of target i on the anchors of prefix.
func exactCorrelations(d, x blas32.General, i int, prefix []int32, a, b int32) (float64, float64) {
	row := func(m blas32.General, j int) []float64 {
		out := make([]float64, m.Cols)
		for c, v := range m.Data[j*m.Stride : j*m.Stride+m.Cols] {
			out[c] = float64(v)
		}
		return out
	}
	r := row(x, i)
	if t := len(prefix); t > 0 {
		atoms := mat.NewDense(t, d.Cols, nil)
		for k, s := range prefix {
			atoms.SetRow(k, row(d, int(s)))
		}
		var g mat.SymDense
		g.SymOuterK(1, atoms)
		var chol mat.Cholesky
		if chol.Factorize(&g) {
			var rhs, gamma, fit mat.VecDense
			rhs.MulVec(atoms, mat.NewVecDense(len(r), append([]float64(nil), r...)))
			if err := chol.SolveVecTo(&gamma, &rhs); err == nil {
				fit.MulVec(atoms.T(), &gamma)
				for c := range r {
					r[c] -= fit.AtVec(c)
				}
			}
		}
	}
	corr := func(j int32) float64 {
		var s float64
		for c, v := range row(d, int(j)) {
			s += v * r[c]
		}
		return math.Abs(s)
	}
	return corr(a), corr(b)
}

// sameSets counts targets whose supports hold the same anchors.
func sameSets(ours, theirs [][]int32) (compared, identical int) {
	for i := range min(len(ours), len(theirs)) {
		compared++
		set := map[int32]bool{}
		for _, a := range ours[i] {
			set[a] = true
		}
		same := len(ours[i]) == len(theirs[i])
		for _, a := range theirs[i] {
			same = same && set[a]
		}
		if same {
			identical++
		}
	}
	return compared, identical
}
