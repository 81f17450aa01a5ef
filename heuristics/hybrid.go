package heuristics

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas32"
)

// Hybrid is TokenAdapt's initializer: a blend of a local estimate, from the
// token's subword pieces, and a global one, from its nearest anchors.
//
// Local: the pieces' base rows weighted by softmax(score/Temperature), where
// a piece's score averages the share of the token's bytes it covers with its
// cosine similarity to the token in the donor's space (counted only when it
// reaches Threshold, and only for pieces the donor knows, i.e. anchors).
// Global: the K nearest anchors in the donor's space with similarity at
// least Threshold, weighted by softmax(similarity/Temperature). The row is
// (1−GlobalWeight)·local + GlobalWeight·global, or whichever of the two
// exists; the mean of the base rows when neither does.
//
// Without a donor the similarities are measured in the base space instead:
// the local estimate (by length alone) is the query for the global search.
type Hybrid struct {
	GlobalWeight float64
	K            int
	Temperature  float64
	Threshold    float64
}

// DefaultHybrid returns TokenAdapt's published defaults: global weight 0.3,
// 3 neighbours, temperature 0.3, similarity threshold 0.6.
func DefaultHybrid() Hybrid {
	return Hybrid{GlobalWeight: 0.3, K: 3, Temperature: 0.3, Threshold: 0.6}
}

// Name implements Method.
func (Hybrid) Name() string { return "hybrid" }

// Build implements Method.
func (h Hybrid) Build(ctx context.Context, p *Problem, dst blas32.General) (Counts, error) {
	if err := p.check(dst, false); err != nil {
		return nil, err
	}
	if h.K <= 0 || h.Temperature <= 0 || h.GlobalWeight < 0 || h.GlobalWeight > 1 {
		return nil, fmt.Errorf("heuristics: hybrid needs k > 0, temperature > 0 and a global weight in [0, 1] (have %d, %g, %g)", h.K, h.Temperature, h.GlobalWeight)
	}
	local := blas32.General{Rows: dst.Rows, Cols: dst.Cols, Stride: dst.Cols, Data: make([]float32, dst.Rows*dst.Cols)}
	donorOf := map[int]int{} // old id → new id, for pieces the donor knows
	if p.hasDonor() {
		for _, a := range p.Anchors {
			donorOf[a.Old] = a.New
		}
	}
	hasLocal := h.localRows(p, donorOf, local)
	nb, queries, err := h.globalNeighbors(ctx, p, local)
	if err != nil {
		return nil, err
	}
	var mean []float32
	counts := Counts{}
	global := make([]float32, dst.Cols)
	for i := range p.Targets {
		out := row(dst, i)
		idx, sim := nb.of(i)
		idx, sim = aboveThreshold(idx, sim, float32(h.Threshold))
		hasGlobal := h.GlobalWeight > 0 && len(idx) > 0 && queries[i]
		if hasGlobal && !hasLocal[i] {
			anchorRows(p, idx, softmax(sim, h.Temperature), global)
		}
		switch {
		case hasLocal[i] && hasGlobal:
			// One weighted sum over pieces and neighbours, rounded once.
			pieces, w := h.localWeights(p, donorOf, p.Targets[i])
			for k := range w {
				w[k] *= 1 - h.GlobalWeight
			}
			for j, gw := range softmax(sim, h.Temperature) {
				pieces = append(pieces, Piece{ID: p.Anchors[idx[j]].Old})
				w = append(w, h.GlobalWeight*gw)
			}
			weightedRows(p.Base, pieces, w, out)
			counts["hybrid"]++
		case hasLocal[i]:
			copy(out, row(local, i))
			counts["local only"]++
		case hasGlobal:
			copy(out, global)
			counts["global only"]++
		default:
			if mean == nil {
				mean = ColumnMean(p.Base)
			}
			copy(out, mean)
			counts["mean (no pieces, no neighbours)"]++
		}
	}
	p.progress(dst.Rows)
	return counts, nil
}

// localRows writes each target's local estimate into local and reports
// which targets had one.
func (h Hybrid) localRows(p *Problem, donorOf map[int]int, local blas32.General) []bool {
	ok := make([]bool, len(p.Targets))
	for i, t := range p.Targets {
		pieces, w := h.localWeights(p, donorOf, t)
		if len(pieces) == 0 {
			continue
		}
		weightedRows(p.Base, pieces, w, row(local, i))
		ok[i] = true
	}
	return ok
}

// localWeights returns the pieces of t with a base row and their weights in
// the local estimate: softmax over the mean of each piece's share of the
// token's bytes and, for pieces the donor knows, its cosine similarity to
// the token in the donor's space when that reaches the threshold.
func (h Hybrid) localWeights(p *Problem, donorOf map[int]int, t Target) ([]Piece, []float64) {
	var pieces []Piece
	for _, pc := range t.Pieces {
		if pc.ID < p.Base.Rows {
			pieces = append(pieces, pc)
		}
	}
	if len(pieces) == 0 {
		return nil, nil
	}
	scores := make([]float32, len(pieces))
	for k, pc := range pieces {
		s := float64(pc.Bytes) / float64(max(t.Bytes, 1))
		if n, known := donorOf[pc.ID]; known {
			if c := cosine(row(p.Donor, t.NewID), row(p.Donor, n)); c >= h.Threshold {
				s += c
			}
		}
		scores[k] = float32(s / 2)
	}
	return pieces, softmax(scores, h.Temperature)
}

// globalNeighbors finds each target's nearest anchors, in the donor's space
// when there is a donor and otherwise in the base space with the local
// estimate as the query. It also reports which targets had a query at all.
func (h Hybrid) globalNeighbors(ctx context.Context, p *Problem, local blas32.General) (*neighbors, []bool, error) {
	has := make([]bool, len(p.Targets))
	if h.GlobalWeight == 0 || len(p.Anchors) == 0 {
		return &neighbors{K: 1, Index: fill(len(p.Targets), -1), Sim: make([]float32, len(p.Targets))}, has, nil
	}
	if p.hasDonor() {
		for i := range has {
			has[i] = true
		}
		nb, err := donorNeighbors(ctx, p, h.K)
		return nb, has, err
	}
	q := make([]int, len(p.Targets))
	for i := range q {
		q[i] = i
		for _, v := range row(local, i) {
			if v != 0 {
				has[i] = true
				break
			}
		}
	}
	a := make([]int, len(p.Anchors))
	for i, an := range p.Anchors {
		a[i] = an.Old
	}
	nb, err := nearest(ctx, gatherNormalized(local, q), gatherNormalized(p.Base, a), min(h.K, len(a)))
	return nb, has, err
}

func aboveThreshold(idx []int32, sim []float32, t float32) ([]int32, []float32) {
	n := 0
	for n < len(sim) && sim[n] >= t {
		n++
	}
	return idx[:n], sim[:n]
}

func cosine(a, b []float32) float64 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	if aa == 0 || bb == 0 {
		return 0
	}
	return ab / math.Sqrt(aa*bb)
}

func fill(n int, v int32) []int32 {
	s := make([]int32, n)
	for i := range s {
		s[i] = v
	}
	return s
}
