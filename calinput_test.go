package transplant

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/eval/forward"
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
	c.means()
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

// Refining the context rows brings what the first layer makes of a row,
// read in place of its token's pieces, near where the base stood after
// the pieces: from the plain mean residual's, the mean gap falls over
// fourfold and the mean squared gap, which refine minimizes, over
// threefold.
func TestRefineContextRows(t *testing.T) {
	m, err := forward.Load("testdata/example/base")
	if err != nil {
		t.Fatal(err)
	}
	H, V := m.Config().Hidden, m.VocabSize()
	rng := rand.New(rand.NewPCG(1, 2))
	st := &calStream{context: true}
	for range 600 {
		st.ids = append(st.ids, 3+rng.IntN(V-3))
	}
	// Row 0 is a token of pieces 40 41 seen often; row 1 one seen too
	// rarely to be set.
	for pos := 5; pos+2 < len(st.ids); pos += 9 {
		row := 0
		if pos%4 == 3 {
			row = 1
		}
		st.ids[pos], st.ids[pos+1] = 40+row, 41
		st.occ = append(st.occ, calOccurrence{row: row, start: pos, pieces: 2})
	}
	st.inner = make([]bool, len(st.ids))
	spans := st.fixedSpans(64)
	c := newContextRows(2, H)
	for _, sp := range spans {
		w, err := runWindow(m, st, sp)
		if err != nil {
			t.Fatal(err)
		}
		c.collect(w, st)
	}
	if c.count[0] < minContextOccurrences || c.count[1] >= minContextOccurrences {
		t.Fatalf("occurrences %v: the test needs row 0 seen often, row 1 not", c.count)
	}
	gap := func() float64 {
		t.Helper()
		sum := make([]float64, H)
		n := 0
		for _, j := range c.probeJobs(st, spans) {
			p, err := c.probe(m, st, j, contextLayers)
			if err != nil {
				t.Fatal(err)
			}
			for k := range p.occ {
				for i, v := range p.steps[k*H : (k+1)*H] {
					sum[i] += float64(v)
				}
				n++
			}
		}
		var norm float64
		for _, v := range sum {
			norm += (v / float64(n)) * (v / float64(n))
		}
		return math.Sqrt(norm)
	}
	c.means()
	before := gap()
	_, l0, _ := c.gaps(context.Background(), m, st, c.probeJobs(st, spans))
	passes := 0
	if err := c.refine(context.Background(), m, st, spans, func(string, int64, int64) { passes++ }); err != nil {
		t.Fatal(err)
	}
	if passes != contextRefinements+1 {
		t.Errorf("%d passes reported, want %d", passes, contextRefinements+1)
	}
	if c.rows[1] != nil {
		t.Error("a row seen too rarely was set")
	}
	_, l1, _ := c.gaps(context.Background(), m, st, c.probeJobs(st, spans))
	if after := gap(); !(after < before/4) || !(l1[0] < l0[0]/3) {
		t.Errorf("mean gap %.4g and mean squared gap %.4g after refining, %.4g and %.4g before", after, l1[0], before, l0[0])
	}
}
