package heuristics

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/blas/blas32"
)

// Defaults for KNN.
const (
	DefaultKNNK           = 16
	DefaultKNNTemperature = 0.1
)

// Weighting says how KNN turns neighbour similarities into weights.
type Weighting int

const (
	// Softmax weighs neighbours by exp(similarity/temperature).
	Softmax Weighting = iota
	// Sparsemax projects similarity/temperature onto the simplex, as FOCUS
	// does, so that distant neighbours get no weight at all.
	Sparsemax
)

// ParseWeighting reads a Weighting from its name: softmax or sparsemax.
func ParseWeighting(s string) (Weighting, error) {
	switch s {
	case "softmax":
		return Softmax, nil
	case "sparsemax":
		return Sparsemax, nil
	}
	return 0, fmt.Errorf("heuristics: unknown weighting %q (want softmax or sparsemax)", s)
}

func (w Weighting) String() string {
	if w == Sparsemax {
		return "sparsemax"
	}
	return "softmax"
}

// MarshalText writes the weighting's name.
func (w Weighting) MarshalText() ([]byte, error) { return []byte(w.String()), nil }

// UnmarshalText reads a weighting's name.
func (w *Weighting) UnmarshalText(b []byte) (err error) {
	*w, err = ParseWeighting(string(b))
	return err
}

func (w Weighting) weights(sim []float32, temperature float64) []float64 {
	if w == Sparsemax {
		return sparsemax(sim, temperature)
	}
	return softmax(sim, temperature)
}

// KNN builds a token's row from the K anchors nearest to it in the donor's
// space (cosine similarity of donor rows), weighted by Weighting of their
// similarities over Temperature, applied to the anchors' base rows. It is
// the FOCUS idea with the donor model's embeddings as the auxiliary space.
type KNN struct {
	K           int
	Temperature float64
	Weighting   Weighting
}

// Name implements Method.
func (KNN) Name() string { return "knn" }

// NeedsDonor reports that KNN cannot run without a donor table.
func (KNN) NeedsDonor() bool { return true }

// Build implements Method.
func (m KNN) Build(ctx context.Context, p *Problem, dst blas32.General) (Counts, error) {
	if err := p.check(dst, true); err != nil {
		return nil, err
	}
	if m.K <= 0 || m.Temperature <= 0 {
		return nil, fmt.Errorf("heuristics: knn needs k > 0 and temperature > 0 (have k=%d, temperature=%g)", m.K, m.Temperature)
	}
	nb, err := donorNeighbors(ctx, p, m.K)
	if err != nil {
		return nil, err
	}
	var mean []float32
	counts := Counts{}
	for i := range p.Targets {
		idx, sim := nb.of(i)
		out := row(dst, i)
		if len(idx) == 0 {
			if mean == nil {
				mean = ColumnMean(p.Base)
			}
			copy(out, mean)
			counts["mean (no anchors)"]++
			continue
		}
		anchorRows(p, idx, m.Weighting.weights(sim, m.Temperature), out)
		counts["knn"]++
	}
	p.progress(dst.Rows)
	return counts, nil
}

// donorNeighbors finds each target's k nearest anchors in the donor space.
func donorNeighbors(ctx context.Context, p *Problem, k int) (*neighbors, error) {
	q := make([]int, len(p.Targets))
	for i, t := range p.Targets {
		q[i] = t.NewID
	}
	a := make([]int, len(p.Anchors))
	for i, an := range p.Anchors {
		a[i] = an.New
	}
	return nearest(ctx, gatherNormalized(p.Donor, q), gatherNormalized(p.Donor, a), min(k, max(len(a), 1)))
}

// anchorRows sets out = Σ w[j]·Base[Anchors[idx[j]].Old].
func anchorRows(p *Problem, idx []int32, w []float64, out []float32) {
	pieces := make([]Piece, len(idx))
	for j, a := range idx {
		pieces[j] = Piece{ID: p.Anchors[a].Old}
	}
	weightedRows(p.Base, pieces, w, out)
}
