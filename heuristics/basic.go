package heuristics

import (
	"context"

	"gonum.org/v1/gonum/blas/blas32"
)

// Zero builds every row as the zero vector.
type Zero struct{}

// Name implements Method.
func (Zero) Name() string { return "zero" }

// Build implements Method.
func (Zero) Build(_ context.Context, p *Problem, dst blas32.General) (Counts, error) {
	if err := p.check(dst, false); err != nil {
		return nil, err
	}
	for i := 0; i < dst.Rows; i++ {
		clear(row(dst, i))
	}
	p.progress(dst.Rows)
	return Counts{"zero": dst.Rows}, nil
}

// Mean builds every row as the mean of the base rows.
type Mean struct{}

// Name implements Method.
func (Mean) Name() string { return "mean" }

// Build implements Method.
func (Mean) Build(_ context.Context, p *Problem, dst blas32.General) (Counts, error) {
	if err := p.check(dst, false); err != nil {
		return nil, err
	}
	mean := ColumnMean(p.Base)
	for i := 0; i < dst.Rows; i++ {
		copy(row(dst, i), mean)
	}
	p.progress(dst.Rows)
	return Counts{"mean": dst.Rows}, nil
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
