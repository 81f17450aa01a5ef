package transplant

import (
	"math"
	"slices"
	"testing"

	"github.com/transplant-dev/transplant/heuristics"
)

// The first-piece samples of a window, recomputed from the base's full
// logits: where a new token's first piece o stands and the token does not
// occur, its target is o's logit plus the log-probability, after o, of
// its second piece (at least log minRest), plus the log of its share of
// that among the tokens beginning with the same two pieces, by their
// occurrences in the text plus pairShareSmoothing. Every such context the window
// holds is sampled when a token may have them all; with fewer, at most
// that many per token over the text, and st.after marks the first pieces
// sampled alone.
func TestFirstPieceTargets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		maxOcc int
		window func(spans int) int
	}{
		{"every context", 1 << 30, func(int) int { return 0 }},
		{"4 per token", 4, func(n int) int { return n / 2 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fp *firstPieces
			bw := readWindow(t, tc.window, func(s *Session, st *calStream, spans []calSpan) { fp = s.firstPiecesOf(st, spans, tc.maxOcc, false) })
			fp.collect(bw.w, bw.st, bw.head)
			checkFirstPieceTargets(t, fp, bw, tc.maxOcc)
			checkFirstPiecePlan(t, fp, bw, tc.maxOcc)
		})
	}
}

func checkFirstPieceTargets(t *testing.T, fp *firstPieces, bw firstWindow, maxOcc int) {
	t.Helper()
	s, st, sp, ids, row := bw.s, bw.st, bw.span, bw.st.ids[bw.span.start:bw.span.end], bw.logits
	starts := map[int]int{} // stream position → row of the new token starting there
	count := make([]float64, len(s.targets))
	for _, oc := range st.occ {
		starts[oc.start] = oc.row
		count[oc.row]++
	}
	share := func(i int) float64 {
		p := s.targets[i].Pieces
		sum := 0.0
		for k, tg := range s.targets {
			if len(tg.Pieces) >= 2 && tg.Pieces[0].ID == p[0].ID && tg.Pieces[1].ID == p[1].ID {
				sum += count[k] + pairShareSmoothing
			}
		}
		return (count[i] + pairShareSmoothing) / sum
	}
	shared := 0 // samples of tokens that share their pair
	seen := make([]int, len(s.targets))
	checked, skipped := 0, 0
	for j := 0; j+1 < len(ids)-1; j++ {
		g := sp.start + j + 1
		if st.inner[g] {
			continue
		}
		sampled := map[int]bool{}
		for _, k := range fp.sampled[g] {
			sampled[fp.next[st.ids[g]][k].row] = true
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
			if !sampled[i] {
				if maxOcc == 1<<30 {
					t.Fatalf("position %d: new id %d not sampled, every context asked for", g, tg.NewID)
				}
				continue
			}
			rest := max(float64(row(j + 1)[tg.Pieces[1].ID])-z, math.Log(minRest))
			want := float64(row(j)[st.ids[g]]) + rest + math.Log(share(i))
			if share(i) < 1 {
				shared++
			}
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
	if checked == 0 || skipped == 0 || shared == 0 {
		t.Fatalf("window: %d samples checked, %d of tokens sharing their pair, %d occurrences skipped; the test needs all three", checked, shared, skipped)
	}
}

// checkFirstPiecePlan checks, over the whole stream, that no token is
// sampled more than maxOcc times and that st.after marks exactly the
// positions sampled.
func checkFirstPiecePlan(t *testing.T, fp *firstPieces, bw firstWindow, maxOcc int) {
	t.Helper()
	st, per, marks := bw.st, make([]int, len(bw.s.targets)), 0
	for g, after := range st.after {
		ks := fp.sampled[g]
		if after != (len(ks) > 0) {
			t.Fatalf("position %d: after marked %v with %d samples", g, after, len(ks))
		}
		for _, k := range ks {
			per[fp.next[st.ids[g]][k].row]++
		}
		if after {
			marks++
		}
	}
	if most := slices.Max(per); most > maxOcc {
		t.Fatalf("a token sampled %d times, at most %d asked for", most, maxOcc)
	}
	t.Logf("%d positions of %d marked for the probabilities after them", marks, len(st.ids))
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

// With heldPairs a transplant gives first-piece samples only to the tokens
// that begin with the first two pieces of a token the text holds: all the
// tokens it holds, and of those it lacks, the ones sharing such a pair and
// no other. addTo then passes a row its samples whether or not it has any
// of its own.
func TestFirstPiecesHeldPairs(t *testing.T) {
	var all, gated *firstPieces
	var st *calStream
	var targets []heuristics.Target
	readFirstWindow(t, func(s *Session, stream *calStream, spans []calSpan) {
		st, targets = stream, s.targets
		all, gated = s.firstPiecesOf(st, spans, 1<<30, false), s.firstPiecesOf(st, spans, 1<<30, true)
	})
	occurs := map[int]bool{}
	held := map[[2]int]bool{}
	for _, oc := range st.occ {
		occurs[oc.row] = true
		if p := targets[oc.row].Pieces; len(p) >= 2 {
			held[[2]int{p[0].ID, p[1].ID}] = true
		}
	}
	type kinds struct{ seen, sharing, other int }
	rows := func(fp *firstPieces) (k kinds) {
		for _, next := range fp.next {
			for _, n := range next {
				p := targets[n.row].Pieces
				switch {
				case occurs[n.row]:
					k.seen++
				case held[[2]int{p[0].ID, p[1].ID}]:
					k.sharing++
				default:
					k.other++
				}
			}
		}
		return k
	}
	a, g := rows(all), rows(gated)
	if g.seen != a.seen || g.sharing != a.sharing || g.other != 0 || a.sharing == 0 || a.other == 0 {
		t.Fatalf("tokens listed (held / lacking, sharing a held pair / others): %+v with heldPairs, %+v without; want all held and sharing ones and no other, and some of each without", g, a)
	}

	cs := &calSamples{states: [][]float32{{1, 2}, nil}, targets: [][]float64{{3}, nil}}
	fp := &firstPieces{states: [][]float32{{5, 6}, {7, 8}}, targets: [][]float64{{9}, {10}}}
	var rep CalibrationReport
	fp.addTo(cs, &rep)
	if len(cs.targets[0]) != 2 || len(cs.targets[1]) != 1 || rep.FirstPieceContexts != 2 {
		t.Fatalf("targets %v, %d first-piece contexts; want each row to take its sample", cs.targets, rep.FirstPieceContexts)
	}
}

// pairShares divides a pair's probability among the tokens that begin
// with it, by their occurrences plus pairShareSmoothing; a token alone
// with its pair keeps all of it.
func TestPairShares(t *testing.T) {
	a := pairShareSmoothing
	for _, tc := range []struct {
		name   string
		next   []firstNext
		count  []int
		shares []float64
	}{
		{"alone", []firstNext{{row: 0, second: 5}, {row: 1, second: 7}}, []int{3, 0}, []float64{1, 1}},
		{"one pair", []firstNext{{row: 0, second: 5}, {row: 1, second: 5}, {row: 2, second: 7}}, []int{3, 0, 2},
			[]float64{(3 + a) / (3 + 2*a), a / (3 + 2*a), 1}},
		{"unseen alike", []firstNext{{row: 0, second: 5}, {row: 1, second: 5}, {row: 2, second: 5}, {row: 3, second: 5}}, []int{0, 0, 0, 0},
			[]float64{0.25, 0.25, 0.25, 0.25}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pairShares(tc.next, tc.count)
			for k, n := range tc.next {
				if got := math.Exp(n.logShare); math.Abs(got-tc.shares[k]) > 1e-12 {
					t.Errorf("token %d: share %g, want %g", k, got, tc.shares[k])
				}
			}
		})
	}
}
