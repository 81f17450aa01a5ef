package heuristics

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/blas/blas32"
)

// A Term is one base row in the combination that makes a new row.
type Term struct {
	// Old is the row of the base table, an id of the old vocabulary.
	Old int
	// Weight multiplies the row.
	Weight float64
}

// A Row says how one new token's row is made:
//
//	Σ_k Terms[k].Weight · base[Terms[k].Old]  +  Mean · mean(base)  +  Delta  [+ noise]
//
// summed in float64 in the order of Terms and rounded to float32 once;
// with Noise, the map's seeded draw for the token is then added in
// float32. mean(base) is the float32 mean of the base table's rows.
type Row struct {
	// ID is the token's id in the new vocabulary: the row of the new table.
	ID    int
	Terms []Term
	Mean  float64
	Noise bool
	// Delta, when set, is added to the combination: a correction in the
	// table's own space that no base row gives, such as a head row fitted
	// to the base model's logits (package calibrate). Its length is the
	// table's width.
	Delta []float32
	// How names the way the row was made, as the run report counts rows:
	// "subword", "mean (no pieces)", "omp (stopped by k)".
	How string
}

// Noise is the random term of a Map: for each row that asks for it, a
// draw from N(0, Scale·Σ), Σ the covariance of the base table's rows,
// seeded by Seed and the row's ID, so that a token's draw depends on no
// other token.
type Noise struct {
	Scale float64
	Seed  uint64

	// factor caches the Cholesky factor computed when the map was built,
	// for the table it was built from; see Map.Apply.
	factor *noiseFactor
}

// Names of the per-row measures methods report.
const (
	// MeasureResidual is the relative residual of a decomposition in the
	// space it was computed in: ‖x − Σ γ_j d_j‖ / ‖x‖ (omp).
	MeasureResidual = "residual"
	// MeasureSimilarity is the cosine similarity of a token to its
	// nearest anchor in the space neighbours were searched in (knn,
	// hybrid).
	MeasureSimilarity = "similarity"
)

// A Measure is one diagnostic a method reports for every row of its map,
// such as OMP's relative residual: what a report shows, and what a caller
// may route poor estimates by.
type Measure struct {
	Name string
	// Values holds one value per row of the map; NaN where the method
	// measured nothing for that row.
	Values []float64
}

// A Map is what a Method builds: how each target's row is made from the
// base table, one Row per target in the order of Problem.Targets. Maps
// hold no rows themselves, so the same map applies to any table with the
// base's old vocabulary and width (Apply).
type Map struct {
	Rows     []Row
	Noise    Noise
	Measures []Measure
	// Corrections change rows the table copies from the base rather than
	// build: head calibration refits the rows of shared tokens that new
	// tokens begin with, whose probability the new tokens now take part
	// of. In ascending ID order.
	Corrections []Correction
}

// A Correction adds Delta to the base's row that the table copies for the
// token of new id ID.
type Correction struct {
	ID    int
	Delta []float32
}

// Counts returns how many rows each way of building made.
func (m *Map) Counts() Counts {
	c := Counts{}
	for _, r := range m.Rows {
		c[r.How]++
	}
	return c
}

// Measure returns the values of the named measure, nil when the map has
// none.
func (m *Map) Measure(name string) []float64 {
	for _, ms := range m.Measures {
		if ms.Name == name {
			return ms.Values
		}
	}
	return nil
}

// AddMeasure appends a measure of NaNs, one per row, and returns its
// values to fill.
func (m *Map) AddMeasure(name string) []float64 {
	v := make([]float64, len(m.Rows))
	for i := range v {
		v[i] = math.NaN()
	}
	m.Measures = append(m.Measures, Measure{Name: name, Values: v})
	return v
}

// newMap returns a map with one row per target, IDs filled in.
func newMap(targets []Target) *Map {
	m := &Map{Rows: make([]Row, len(targets))}
	for i, t := range targets {
		m.Rows[i].ID = t.NewID
	}
	return m
}

// ErrMap reports a map that does not fit the tables it is applied to.
var ErrMap = errors.New("row map does not fit the table")

// Check reports whether m can be applied to a base table of baseRows rows.
func (m *Map) Check(baseRows int) error {
	for _, ms := range m.Measures {
		if len(ms.Values) != len(m.Rows) {
			return fmt.Errorf("%w: measure %q has %d values for %d rows", ErrMap, ms.Name, len(ms.Values), len(m.Rows))
		}
	}
	for i, r := range m.Rows {
		if r.ID < 0 {
			return fmt.Errorf("%w: row %d has new id %d", ErrMap, i, r.ID)
		}
		for _, t := range r.Terms {
			if t.Old < 0 || t.Old >= baseRows {
				return fmt.Errorf("%w: row %d (new id %d) draws on old id %d, the base table has %d rows", ErrMap, i, r.ID, t.Old, baseRows)
			}
		}
		if r.Noise && m.Noise.Scale <= 0 {
			return fmt.Errorf("%w: row %d (new id %d) asks for noise, the map's noise scale is %g", ErrMap, i, r.ID, m.Noise.Scale)
		}
	}
	return nil
}

// check is Check that also holds every Delta to base's width.
func (m *Map) check(base blas32.General) error { return m.checkSize(base.Rows, base.Cols) }

// checkSize is Check for a base of rows×cols.
func (m *Map) checkSize(rows, cols int) error {
	if err := m.Check(rows); err != nil {
		return err
	}
	for i, r := range m.Rows {
		if r.Delta != nil && len(r.Delta) != cols {
			return fmt.Errorf("%w: row %d (new id %d) has a delta of %d values, the base table is %d wide", ErrMap, i, r.ID, len(r.Delta), cols)
		}
	}
	return nil
}

// Apply writes into row i of dst the row m.Rows[i] describes, combining
// the rows of base, which must hold the old vocabulary's rows and nothing
// else (no padding): Mean and Noise are statistics of all of base. dst has
// len(m.Rows) rows and base's width. Apply checks the map first and writes
// nothing when it does not fit; after a cancellation dst holds unspecified
// values.
//
// When the map has noise and was built from this very base table, the
// factor of its covariance computed then is reused; otherwise Apply
// factors the covariance of base. A covariance that is not positive
// definite is an error: the map asked for a draw Apply cannot make.
func (m *Map) Apply(ctx context.Context, dst, base blas32.General) error {
	if dst.Rows != len(m.Rows) || dst.Cols != base.Cols {
		return fmt.Errorf("%w: destination is %d×%d, want %d×%d", ErrMap, dst.Rows, dst.Cols, len(m.Rows), base.Cols)
	}
	if err := m.check(base); err != nil {
		return err
	}
	var mean []float32
	if slices.ContainsFunc(m.Rows, func(r Row) bool { return r.Mean != 0 }) {
		mean = ColumnMean(base)
	}
	if err := m.applyTerms(ctx, dst, base, mean); err != nil {
		return err
	}
	return m.applyNoise(ctx, dst, base)
}

// applyTerms writes the deterministic part of every row, on all cores.
func (m *Map) applyTerms(ctx context.Context, dst, base blas32.General, mean []float32) error {
	workers := min(runtime.GOMAXPROCS(0), max(len(m.Rows)/64, 1))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			acc := make([]float64, base.Cols)
			baseRow := func(old int) []float32 { return row(base, old) }
			for i := w; i < len(m.Rows); i += workers {
				if i%256 == w && ctx.Err() != nil {
					return
				}
				combine(row(dst, i), m.Rows[i], mean, acc, baseRow)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// combine sets out to r's combination of base rows, which baseRow gives
// by old id; acc is scratch. Every writer of map rows goes through it (or
// combineWith), so that rows are the same bit for bit however the base is
// held.
func combine(out []float32, r Row, mean []float32, acc []float64, baseRow func(old int) []float32) {
	combineWith(out, r, mean, acc, func(acc []float64, w float64, old int) {
		for j, v := range baseRow(old) {
			acc[j] += w * float64(v)
		}
	})
}

// combineWith is combine for a base whose rows addRow adds to acc,
// weighted by w, each value widened to float64 from float32 as combine
// does: the sums are the same.
func combineWith(out []float32, r Row, mean []float32, acc []float64, addRow func(acc []float64, w float64, old int)) {
	clear(acc)
	for _, t := range r.Terms {
		addRow(acc, t.Weight, t.Old)
	}
	if r.Mean != 0 {
		for j, v := range mean {
			acc[j] += r.Mean * float64(v)
		}
	}
	for j, v := range r.Delta {
		acc[j] += float64(v)
	}
	for j, v := range acc {
		out[j] = float32(v)
	}
}

// ErrNoiseByRow reports a map with a noise term asked to write its rows one
// at a time: its draws are made in blocks (Apply).
var ErrNoiseByRow = errors.New("a map with noise is applied whole, not row by row")

// A RowWriter writes the rows of a map one at a time, for a caller that
// streams a table out instead of holding it. The rows are those Apply
// writes, bit for bit. It is not safe for concurrent use.
type RowWriter struct {
	m    *Map
	base blas32.General
	mean []float32
	acc  []float64
}

// RowWriter checks m against base, as Apply does, and prepares to write
// its rows. Maps with noise are refused (ErrNoiseByRow).
func (m *Map) RowWriter(base blas32.General) (*RowWriter, error) {
	if err := m.check(base); err != nil {
		return nil, err
	}
	w := &RowWriter{m: m, base: base, acc: make([]float64, base.Cols)}
	for _, r := range m.Rows {
		if r.Noise {
			return nil, ErrNoiseByRow
		}
		if r.Mean != 0 && w.mean == nil {
			w.mean = ColumnMean(base)
		}
	}
	return w, nil
}

// Row writes into dst, of the base's width, the row m.Rows[i] describes.
func (w *RowWriter) Row(dst []float32, i int) {
	combine(dst, w.m.Rows[i], w.mean, w.acc, func(old int) []float32 { return row(w.base, old) })
}
