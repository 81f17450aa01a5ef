package heuristics

import (
	"context"

	"gonum.org/v1/gonum/blas/blas32"
)

// Zero builds every row as the zero vector: a map with no terms.
type Zero struct{}

// Name implements Method.
func (Zero) Name() string { return "zero" }

// Build implements Method.
func (Zero) Build(_ context.Context, p *Problem) (*Map, error) {
	if err := p.check(false); err != nil {
		return nil, err
	}
	m := newMap(p.Targets)
	for i := range m.Rows {
		m.Rows[i].How = "zero"
	}
	p.progress(len(m.Rows))
	return m, nil
}

// Mean builds every row as the mean of the base rows.
type Mean struct{}

// Name implements Method.
func (Mean) Name() string { return "mean" }

// Build implements Method.
func (Mean) Build(_ context.Context, p *Problem) (*Map, error) {
	if err := p.check(false); err != nil {
		return nil, err
	}
	m := newMap(p.Targets)
	for i := range m.Rows {
		m.Rows[i].setMean("mean")
	}
	p.progress(len(m.Rows))
	return m, nil
}

// setMean makes r the mean of the base rows, counted as how.
func (r *Row) setMean(how string) {
	r.Terms, r.Mean, r.How = nil, 1, how
}

// ColumnMean returns the mean of the rows of m, accumulated in float64 so
// that it stays accurate for tables of any height.
func ColumnMean(m blas32.General) []float32 {
	sum := make([]float64, m.Cols)
	for i := 0; i < m.Rows; i++ {
		for j, v := range row(m, i) {
			sum[j] += float64(v)
		}
	}
	mean := make([]float32, m.Cols)
	for j, s := range sum {
		mean[j] = float32(s / float64(m.Rows))
	}
	return mean
}
