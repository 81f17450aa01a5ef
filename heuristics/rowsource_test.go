package heuristics

import (
	"encoding/binary"
	"errors"
	"fmt"
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

// bf16Source is a tableSource whose values are bfloat16, read as stored
// by ReadBF16Rows.
type bf16Source struct{ tableSource }

func (s bf16Source) ReadBF16Rows(dst []byte, start, end int) error {
	for i := start; i < end; i++ {
		if i == s.bad {
			return errBadRow
		}
		for j, v := range row(s.m, i) {
			binary.LittleEndian.PutUint16(dst[2*((i-start)*s.m.Cols+j):], uint16(math.Float32bits(v)>>16))
		}
	}
	return nil
}

// TestSourceRowWriter: rows written from a RowSource are the rows Apply
// writes from the table held whole, bit for bit, terms, mean and delta
// included; the column mean read in blocks is ColumnMean's. A source of
// bfloat16 rows read as stored gives the same bits.
func TestSourceRowWriter(t *testing.T) {
	for _, cols := range []int{5, 8} { // a value after the groups of four, and none
		for _, bf16 := range []bool{false, true} {
			// Every row in the cache, and two slots, where rows evict
			// each other all the time.
			for _, slots := range []int{0, 2} {
				t.Run(fmt.Sprint(cols, bf16, slots), func(t *testing.T) { checkSourceRowWriter(t, cols, bf16, slots) })
			}
		}
	}
}

func checkSourceRowWriter(t *testing.T, cols int, bf16 bool, slots int) {
	rng := rand.New(rand.NewPCG(3, 4))
	rows := 3*meanBlockRows + 7 // blocks of rows and a partial one
	base := blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
	for i := range base.Data {
		base.Data[i] = float32(rng.NormFloat64())
		if bf16 {
			base.Data[i] = math.Float32frombits(math.Float32bits(base.Data[i]) &^ 0xffff)
		}
	}
	var src RowSource = tableSource{m: base, bad: -1}
	if bf16 {
		src = bf16Source{tableSource{m: base, bad: -1}}
	}
	m := &Map{Rows: []Row{
		{ID: 0, Terms: []Term{{Old: 3, Weight: 0.25}, {Old: rows - 1, Weight: 0.75}}},
		{ID: 1, Mean: 1},
		{ID: 2, Terms: []Term{{Old: 10, Weight: 1.0 / 3}, {Old: 11, Weight: 0.1}}, Mean: 0.5, Delta: []float32{1, 2, 3, 4, 5, 6, 7, 8}[:cols]},
	}}
	// Rows that share pieces, as new tokens do: read again or kept.
	for i := range 40 {
		a, b := rng.IntN(6), rng.IntN(rows)
		m.Rows = append(m.Rows, Row{ID: len(m.Rows), Terms: []Term{{Old: a, Weight: 0.5}, {Old: b, Weight: 0.3}, {Old: a + i%3, Weight: 0.2}}})
	}
	want := blas32.General{Rows: len(m.Rows), Cols: cols, Stride: cols, Data: make([]float32, len(m.Rows)*cols)}
	if err := m.Apply(t.Context(), want, base); err != nil {
		t.Fatal(err)
	}
	w, err := m.SourceRowWriter(src, rows, cols)
	if err != nil {
		t.Fatal(err)
	}
	if slots > 0 {
		w.wide.bytes, w.raw.bytes = slots*4*cols, slots*2*cols
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
	mean, err := ColumnMeanOf(src, rows, cols)
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
// mean (read by the first row that needs it) and from a row, whether read
// as float32 or as bfloat16; a map that does not fit the base is refused.
func TestSourceRowWriterErrors(t *testing.T) {
	base := blas32.General{Rows: 4, Cols: 2, Stride: 2, Data: make([]float32, 8)}
	source := func(bad int, bf16 bool) RowSource {
		if bf16 {
			return bf16Source{tableSource{m: base, bad: bad}}
		}
		return tableSource{m: base, bad: bad}
	}
	for _, bf16 := range []bool{false, true} {
		withMean := &Map{Rows: []Row{{ID: 0, Mean: 1}}}
		mw, err := withMean.SourceRowWriter(source(2, bf16), 4, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := mw.Row(make([]float32, 2), 0); !errors.Is(err, errBadRow) {
			t.Errorf("bf16 %v: mean over a failing source: %v", bf16, err)
		}
		terms := &Map{Rows: []Row{{ID: 0, Terms: []Term{{Old: 1, Weight: 1}}}}}
		w, err := terms.SourceRowWriter(source(1, bf16), 4, 2)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Row(make([]float32, 2), 0); !errors.Is(err, errBadRow) {
			t.Errorf("bf16 %v: row from a failing source: %v", bf16, err)
		}
	}
	outside := &Map{Rows: []Row{{ID: 0, Terms: []Term{{Old: 9, Weight: 1}}}}}
	if _, err := outside.SourceRowWriter(tableSource{m: base, bad: -1}, 4, 2); !errors.Is(err, ErrMap) {
		t.Errorf("term outside the base: %v", err)
	}
}
