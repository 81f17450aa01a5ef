package heuristics

import (
	"context"
)

// DefaultRandnScale is the factor on the covariance that transformers'
// mean_resizing uses (1e-9): new rows land very close to the mean, with just
// enough spread to tell them apart.
const DefaultRandnScale = 1e-9

// Randn draws every row from a normal distribution with the mean of the base
// rows and their covariance times Scale: the mean term plus the map's noise
// term. When the scaled covariance is not positive definite, even after a
// small diagonal jitter, the rows are the mean, and the counts say so.
type Randn struct {
	Scale float64
}

// Name implements Method.
func (Randn) Name() string { return "randn" }

// Build implements Method.
func (r Randn) Build(_ context.Context, p *Problem) (*Map, error) {
	if err := p.check(false); err != nil {
		return nil, err
	}
	m := newMap(p.Targets)
	f, ok := factorNoise(p.Base, r.Scale)
	for i := range m.Rows {
		m.Rows[i].Mean, m.Rows[i].Noise, m.Rows[i].How = 1, ok, "randn"
		if !ok {
			m.Rows[i].How = "mean (covariance not positive definite)"
		}
	}
	if ok {
		m.Noise = Noise{Scale: r.Scale, Seed: p.Seed, factor: f}
	}
	p.progress(len(m.Rows))
	return m, nil
}
