package heuristics

import (
	"context"
	"fmt"
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

// RequiresDonor implements DonorMethod: the neighbours are searched in the
// donor's space.
func (KNN) RequiresDonor() bool { return true }

var (
	_ DonorMethod = KNN{}
	_ Sizer       = KNN{}
)

// Build implements Method. The map's similarity measure is each token's
// cosine similarity to its nearest anchor.
func (k KNN) Build(ctx context.Context, p *Problem) (*Map, error) {
	if err := p.check(true); err != nil {
		return nil, err
	}
	if k.K <= 0 || k.Temperature <= 0 {
		return nil, fmt.Errorf("heuristics: knn needs k > 0 and temperature > 0 (have k=%d, temperature=%g)", k.K, k.Temperature)
	}
	nb, err := donorNeighbors(ctx, p, k.K)
	if err != nil {
		return nil, err
	}
	m := newMap(p.Targets)
	similarity := m.AddMeasure(MeasureSimilarity)
	for i := range p.Targets {
		idx, sim := nb.of(i)
		if len(idx) == 0 {
			m.Rows[i].setMean("mean (no anchors)")
			continue
		}
		m.Rows[i].Terms, m.Rows[i].How = anchorTerms(p, idx, k.Weighting.weights(sim, k.Temperature)), "knn"
		similarity[i] = float64(sim[0])
	}
	p.progress(len(m.Rows))
	return m, nil
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

// anchorTerms pairs the anchors idx (indices into p.Anchors) with weights
// w, as terms on their base rows.
func anchorTerms(p *Problem, idx []int32, w []float64) []Term {
	terms := make([]Term, len(idx))
	for j, a := range idx {
		terms[j] = Term{Old: p.Anchors[a].Old, Weight: w[j]}
	}
	return terms
}
