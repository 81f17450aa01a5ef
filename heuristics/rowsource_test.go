package heuristics

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

// tableSource reads rows of an in-memory table, and fails reading row bad.
type tableSource struct {
	m   blas32.General
	bad int
}

var errBadRow = errors.New("bad row")

func (s tableSource) ReadRows(dst []float32, start, end int) error {
	for i := start; i < end; i++ {
		if i == s.bad {
			return errBadRow
		}
		copy(dst[(i-start)*s.m.Cols:], row(s.m, i))
	}
	return nil
}

// TestSourceRowWriter: rows written from a RowSource are the rows Apply
// writes from the table held whole, bit for bit, terms, mean and delta
// included; the column mean read in blocks is ColumnMean's.
func TestSourceRowWriter(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	rows, cols := 3*meanBlockRows+7, 5 // blocks of rows and a partial one
	base := blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
	for i := range base.Data {
		base.Data[i] = float32(rng.NormFloat64())
	}
	m := &Map{Rows: []Row{
		{ID: 0, Terms: []Term{{Old: 3, Weight: 0.25}, {Old: rows - 1, Weight: 0.75}}},
		{ID: 1, Mean: 1},
		{ID: 2, Terms: []Term{{Old: 10, Weight: 1.0 / 3}}, Mean: 0.5, Delta: []float32{1, 2, 3, 4, 5}},
	}}
	want := blas32.General{Rows: len(m.Rows), Cols: cols, Stride: cols, Data: make([]float32, len(m.Rows)*cols)}
	if err := m.Apply(t.Context(), want, base); err != nil {
		t.Fatal(err)
	}
	w, err := m.SourceRowWriter(tableSource{m: base, bad: -1}, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]float32, cols)
	for i := range m.Rows {
		if err := w.Row(got, i); err != nil {
			t.Fatal(err)
		}
		for j, v := range got {
			if math.Float32bits(v) != math.Float32bits(row(want, i)[j]) {
				t.Fatalf("row %d column %d: %v from the source, %v from Apply", i, j, v, row(want, i)[j])
			}
		}
	}
	mean, err := ColumnMeanOf(tableSource{m: base, bad: -1}, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	for j, v := range ColumnMean(base) {
		if math.Float32bits(mean[j]) != math.Float32bits(v) {
			t.Errorf("column %d: mean %v, ColumnMean %v", j, mean[j], v)
		}
	}
}

// TestSourceRowWriterErrors: a source's error reaches the caller, from the
// mean (read by the first row that needs it) and from a row; a map that
// does not fit the base is refused.
func TestSourceRowWriterErrors(t *testing.T) {
	base := blas32.General{Rows: 4, Cols: 2, Stride: 2, Data: make([]float32, 8)}
	withMean := &Map{Rows: []Row{{ID: 0, Mean: 1}}}
	mw, err := withMean.SourceRowWriter(tableSource{m: base, bad: 2}, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := mw.Row(make([]float32, 2), 0); !errors.Is(err, errBadRow) {
		t.Errorf("mean over a failing source: %v", err)
	}
	terms := &Map{Rows: []Row{{ID: 0, Terms: []Term{{Old: 1, Weight: 1}}}}}
	w, err := terms.SourceRowWriter(tableSource{m: base, bad: 1}, 4, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Row(make([]float32, 2), 0); !errors.Is(err, errBadRow) {
		t.Errorf("row from a failing source: %v", err)
	}
	outside := &Map{Rows: []Row{{ID: 0, Terms: []Term{{Old: 9, Weight: 1}}}}}
	if _, err := outside.SourceRowWriter(tableSource{m: base, bad: -1}, 4, 2); !errors.Is(err, ErrMap) {
		t.Errorf("term outside the base: %v", err)
	}
}
