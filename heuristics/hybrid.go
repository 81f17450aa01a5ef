package heuristics

import (
	"context"
	"fmt"
	"math"
	"slices"

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

var (
	_ Sizer         = Hybrid{}
	_ BaseDependent = Hybrid{}
)

// DependsOnBase implements BaseDependent: without a donor, neighbours are
// searched among the base rows.
func (h Hybrid) DependsOnBase(hasDonor bool) bool { return !hasDonor && h.GlobalWeight > 0 }

// Build implements Method. The map's similarity measure is each token's
// cosine similarity to its nearest anchor above the threshold.
func (h Hybrid) Build(ctx context.Context, p *Problem) (*Map, error) {
	if err := p.check(false); err != nil {
		return nil, err
	}
	if h.K <= 0 || h.Temperature <= 0 || h.GlobalWeight < 0 || h.GlobalWeight > 1 {
		return nil, fmt.Errorf("heuristics: hybrid needs k > 0, temperature > 0 and a global weight in [0, 1] (have %d, %g, %g)", h.K, h.Temperature, h.GlobalWeight)
	}
	local := h.localTerms(p)
	nb, queries, err := h.globalNeighbors(ctx, p, local)
	if err != nil {
		return nil, err
	}
	m := newMap(p.Targets)
	similarity := m.AddMeasure(MeasureSimilarity)
	for i := range p.Targets {
		r := &m.Rows[i]
		idx, sim := nb.of(i)
		idx, sim = aboveThreshold(idx, sim, float32(h.Threshold))
		var global []Term
		if h.GlobalWeight > 0 && len(idx) > 0 && queries[i] {
			global = anchorTerms(p, idx, softmax(sim, h.Temperature))
			similarity[i] = float64(sim[0])
		}
		switch {
		case local[i] != nil && global != nil:
			r.Terms = append(scaled(local[i], 1-h.GlobalWeight), scaled(global, h.GlobalWeight)...)
			r.How = "hybrid"
		case local[i] != nil:
			r.Terms, r.How = local[i], "local only"
		case global != nil:
			r.Terms, r.How = global, "global only"
		default:
			r.setMean("mean (no pieces, no neighbours)")
		}
	}
	p.progress(len(m.Rows))
	return m, nil
}

// scaled returns terms with every weight multiplied by f.
func scaled(terms []Term, f float64) []Term {
	out := make([]Term, len(terms))
	for k, t := range terms {
		out[k] = Term{Old: t.Old, Weight: f * t.Weight}
	}
	return out
}

// localTerms returns each target's local estimate, nil when it has no
// piece with a base row: its pieces weighted by softmax over the mean of
// each piece's share of the token's bytes and, for pieces the donor knows,
// its cosine similarity to the token in the donor's space when that
// reaches the threshold.
func (h Hybrid) localTerms(p *Problem) [][]Term {
	donorOf := map[int]int{} // old id → new id, for pieces the donor knows
	if p.hasDonor() {
		for _, a := range p.Anchors {
			donorOf[a.Old] = a.New
		}
	}
	local := make([][]Term, len(p.Targets))
	for i, t := range p.Targets {
		var pieces []Piece
		for _, pc := range t.Pieces {
			if pc.ID < p.Base.Rows {
				pieces = append(pieces, pc)
			}
		}
		if len(pieces) == 0 {
			continue
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
		local[i] = termsOf(pieces, softmax(scores, h.Temperature))
	}
	return local
}

// globalNeighbors finds each target's nearest anchors, in the donor's space
// when there is a donor and otherwise in the base space with the local
// estimate as the query. It also reports which targets had a query at all.
func (h Hybrid) globalNeighbors(ctx context.Context, p *Problem, local [][]Term) (*neighbors, []bool, error) {
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
	queries := blas32.General{Rows: len(p.Targets), Cols: p.Base.Cols, Stride: p.Base.Cols, Data: make([]float32, len(p.Targets)*p.Base.Cols)}
	acc := make([]float64, p.Base.Cols)
	baseRow := func(old int) []float32 { return row(p.Base, old) }
	q := make([]int, len(p.Targets))
	for i, terms := range local {
		q[i] = i
		if terms == nil {
			continue
		}
		out := row(queries, i)
		combine(out, Row{Terms: terms}, nil, acc, baseRow)
		has[i] = slices.ContainsFunc(out, func(v float32) bool { return v != 0 })
	}
	a := make([]int, len(p.Anchors))
	for i, an := range p.Anchors {
		a[i] = an.Old
	}
	nb, err := nearest(ctx, gatherNormalized(queries, q), gatherNormalized(p.Base, a), min(h.K, len(a)))
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
