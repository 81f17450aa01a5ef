package transplant

import (
	"math"
	"slices"
	"testing"
)

// The first-piece samples of a window, recomputed from the base's full
// logits: where a new token's first piece o stands and the token does not
// occur, its target is o's logit plus the log-probability, after o, of
// its second piece (at least log minRest).
func TestFirstPieceTargets(t *testing.T) {
	var fp *firstPieces
	bw := readFirstWindow(t, func(s *Session, st *calStream, _ []calSpan) { fp = s.firstPiecesOf(st, 1<<30) })
	fp.collect(bw.w, bw.st, bw.head)
	s, st, sp, ids, row := bw.s, bw.st, bw.span, bw.st.ids[bw.span.start:bw.span.end], bw.logits
	starts := map[int]int{} // stream position → row of the new token starting there
	for _, oc := range st.occ {
		starts[oc.start] = oc.row
	}
	seen := make([]int, len(s.targets))
	checked, skipped := 0, 0
	for j := 0; j+1 < len(ids)-1; j++ {
		g := sp.start + j + 1
		if st.inner[g] {
			continue
		}
		z := logSumExp64(row(j + 1))
		for i, tg := range s.targets {
			if len(tg.Pieces) < 2 || tg.Pieces[0].ID != st.ids[g] {
				continue
			}
			if r, ok := starts[g]; ok && r == i {
				skipped++
				continue
			}
			rest := max(float64(row(j + 1)[tg.Pieces[1].ID])-z, math.Log(minRest))
			want := float64(row(j)[st.ids[g]]) + rest
			if seen[i] >= len(fp.targets[i]) {
				t.Fatalf("position %d: new id %d has no sample", g, tg.NewID)
			}
			got := fp.targets[i][seen[i]]
			seen[i]++
			if math.Abs(got-want) > 1e-3*math.Max(1, math.Abs(want)) {
				t.Fatalf("position %d, new id %d: target %g, the base's logits give %g", g, tg.NewID, got, want)
			}
			checked++
		}
	}
	for i, n := range seen {
		if n != len(fp.targets[i]) {
			t.Fatalf("new id %d: %d samples, %d expected", s.targets[i].NewID, len(fp.targets[i]), n)
		}
	}
	if checked == 0 || skipped == 0 {
		t.Fatalf("first window: %d samples checked, %d occurrences skipped; the test needs both", checked, skipped)
	}
}

// addTo weighs a row's own samples by occurrenceWeight: in least squares,
// a sample scaled by √w counts as w copies of itself.
func TestFirstPiecesWeighOccurrences(t *testing.T) {
	cs := &calSamples{states: [][]float32{{1, 2}, nil}, targets: [][]float64{{3}, nil}}
	fp := &firstPieces{states: [][]float32{{5, 6}, {7, 8}}, targets: [][]float64{{9}, {10}}}
	var rep CalibrationReport
	fp.addTo(cs, &rep)
	w := math.Sqrt(occurrenceWeight)
	wantStates := [][]float32{{float32(w), float32(2 * w), 5, 6}, {7, 8}}
	wantTargets := [][]float64{{3 * w, 9}, {10}}
	for i := range wantStates {
		if !slices.Equal(cs.states[i], wantStates[i]) || !slices.Equal(cs.targets[i], wantTargets[i]) {
			t.Errorf("row %d: states %v targets %v, want %v %v", i, cs.states[i], cs.targets[i], wantStates[i], wantTargets[i])
		}
	}
	if rep.FirstPieceContexts != 2 {
		t.Errorf("FirstPieceContexts %d, want 2", rep.FirstPieceContexts)
	}
}
