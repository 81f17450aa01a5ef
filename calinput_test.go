package transplant

import (
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/heuristics"
)

// A new token's context row is the mean of the rows at its last piece
// over the occurrences windows hold whole; one-piece tokens, occurrences
// cut by a window's edge and tokens seen fewer than minContextOccurrences
// times keep their prior row.
func TestContextRows(t *testing.T) {
	const width = 2
	// Map rows: 0 seen often with two pieces, 1 seen often with one piece,
	// 2 seen once too few.
	var occ []calOccurrence
	pos := 0
	for range minContextOccurrences {
		occ = append(occ, calOccurrence{row: 0, start: pos, pieces: 2}, calOccurrence{row: 1, start: pos + 2, pieces: 1})
		pos += 4
	}
	for range minContextOccurrences - 1 {
		occ = append(occ, calOccurrence{row: 2, start: pos, pieces: 3})
		pos += 4
	}
	// One more of row 0 straddling the two windows' edge.
	edge := pos + 1
	occ = append(occ, calOccurrence{row: 0, start: edge, pieces: 2})
	st := &calStream{occ: occ, ids: make([]int, edge+8)}
	value := func(i int) float32 { return float32(i%7) + 0.5 }
	window := func(start, end int) *calWindow {
		w := &calWindow{start: start, states: blas32.General{Rows: end - start, Cols: width}}
		for i := start; i < end; i++ {
			w.context = append(w.context, value(i), -value(i))
		}
		return w
	}
	c := newContextRows(3, width)
	c.collect(window(0, edge+1), st)
	c.collect(window(edge+1, len(st.ids)), st)
	var want float64
	for _, oc := range occ {
		if oc.row == 0 && oc.start != edge {
			want += float64(value(oc.start + 1))
		}
	}
	want /= minContextOccurrences
	prior := &heuristics.Map{Rows: []heuristics.Row{
		{ID: 10, Mean: 1, How: "mean"}, {ID: 11, Mean: 1, How: "mean"}, {ID: 12, Mean: 1, How: "mean"}}}
	got, set := c.apply(prior)
	if set != 1 || got.Rows[0].How != HowContext || got.Rows[0].ID != 10 || got.Rows[0].Terms != nil || got.Rows[0].Mean != 0 {
		t.Fatalf("%d rows set, row 0 %+v", set, got.Rows[0])
	}
	if d := got.Rows[0].Delta; !slices.Equal(d, []float32{float32(want), -float32(want)}) {
		t.Errorf("row 0 %v, want ±%g", d, want)
	}
	if !slices.EqualFunc(got.Rows[1:], prior.Rows[1:], func(a, b heuristics.Row) bool { return a.How == b.How && a.Delta == nil }) {
		t.Errorf("rows 1 and 2 changed: %+v", got.Rows[1:])
	}
	if prior.Rows[0].How != "mean" {
		t.Error("apply changed its prior")
	}
}
