package transplant

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/heuristics"
)

func TestSpaceSplits(t *testing.T) {
	// "x   If (": the new tokenizer cuts x | three spaces | If | space | (.
	text := []byte("x   If (")
	newIDs := []int{-1, 10, 11, 12, 13, 14}
	start := []int{-1, 0, 1, 4, 6, 7, -1}
	cuts := func(offsets ...int) []bool {
		c := make([]bool, len(text)+1)
		for _, o := range offsets {
			c[o] = true
		}
		return c
	}
	for _, tc := range []struct {
		name string
		cut  []bool
		want []int
	}{
		// x | ▁▁ | ▁If | ▁( : both "If" and "(" lost their space.
		{"mistral", cuts(0, 1, 3, 6, 8), []int{3, 5}},
		// x | ▁▁▁ | If | ▁ | ( : the base cuts where the new tokenizer does.
		{"same cuts", cuts(0, 1, 4, 6, 7, 8), nil},
		// x | ▁▁▁I | f...: the base's token does not start at the space.
		{"token not at the space", cuts(0, 1, 5, 6, 8), []int{5}},
	} {
		st := &calStream{newIDs: newIDs, start: start, text: text, cut: tc.cut}
		if got := st.spaceSplits(); !slices.Equal(got, tc.want) {
			t.Errorf("%s: spaceSplits = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The correction makes a token score, at the mean state before a split,
// what the base's spaced token scores there, and leaves states that the
// direction does not see as they were.
func TestSpaceSplitCorrection(t *testing.T) {
	const width = 6
	rng := rand.New(rand.NewPCG(1, 2))
	ss := &splitStates{}
	shift := []float32{0, 0, 4, 0, -3, 0}
	for range 2000 {
		o := make([]float32, width)
		for a := range o {
			o[a] = float32(rng.NormFloat64())
		}
		ss.other = append(ss.other, o)
		s := make([]float32, width)
		for a := range s {
			s[a] = shift[a] + 0.1*float32(rng.NormFloat64())
		}
		ss.split = append(ss.split, s)
	}
	u, us, ok := ss.direction(width)
	if !ok {
		t.Fatal("direction: the split states were not told apart")
	}
	split, other := meanOf(ss.split, width), meanOf(ss.other, width)
	// With Σ near the identity, u is near the difference of the means.
	for a := range width {
		if math.Abs(u[a]-(split[a]-other[a])) > 0.3 {
			t.Errorf("u[%d] = %.3f, want about %.3f", a, u[a], split[a]-other[a])
		}
	}
	head := map[int][]float32{7: {1, 0, 0.5, 0, 0, 2}, 8: {0, 1, -1, 0, 1, 0}}
	base := map[int][]float32{3: {0, 0, 2, 0, -1, 1}, 4: {1, 1, 1, 1, 1, 1}}
	pairs := map[int]int{7: 3, 8: 4}
	deltas := deltasOf(spaceSplitShifts(pairs, func(id int) []float32 { return head[id] }, func(id int) []float32 { return base[id] }, us, split), u)
	dot := func(w []float32, s []float64) (d float64) {
		for a := range s {
			d += float64(w[a]) * s[a]
		}
		return d
	}
	for x, c := range pairs {
		fixed := slices.Clone(head[x])
		addTo(fixed, deltas[x])
		if got, want := dot(fixed, split), dot(base[c], split); math.Abs(got-want) > 1e-3*max(1, math.Abs(want)) {
			t.Errorf("token %d at the split mean scores %.4f, want the base's %.4f", x, got, want)
		}
		orth := make([]float64, width) // a state along no part of u
		orth[0], orth[1] = u[1], -u[0]
		if got, want := dot(fixed, orth), dot(head[x], orth); math.Abs(got-want) > 1e-3 {
			t.Errorf("token %d at a state u does not see scores %.4f, want %.4f as before", x, got, want)
		}
	}
}

func TestSpaceSplitNeedsApartStates(t *testing.T) {
	same := [][]float32{{1, 0}, {0, 1}, {-1, 0}, {0, -1}}
	ss := &splitStates{split: same, other: same}
	if _, _, ok := ss.direction(2); ok {
		t.Error("direction found for split states no different from the others")
	}
}

func TestAddDeltas(t *testing.T) {
	prior := &heuristics.Map{
		Rows:        []heuristics.Row{{ID: 5, Delta: []float32{1, 1}}, {ID: 6}},
		Corrections: []heuristics.Correction{{ID: 2, Delta: []float32{1, 0}}, {ID: 9, Delta: []float32{0, 1}}},
	}
	rm := cloneMap(prior)
	addDeltas(rm, map[int][]float32{5: {1, 2}, 6: {3, 4}, 9: {1, 1}, 4: {2, 2}})
	want := map[int][]float32{5: {2, 3}, 6: {3, 4}}
	for _, r := range rm.Rows {
		if !slices.Equal(r.Delta, want[r.ID]) {
			t.Errorf("row %d delta %v, want %v", r.ID, r.Delta, want[r.ID])
		}
	}
	wantCorr := []heuristics.Correction{{ID: 2, Delta: []float32{1, 0}}, {ID: 4, Delta: []float32{2, 2}}, {ID: 9, Delta: []float32{1, 2}}}
	if len(rm.Corrections) != len(wantCorr) {
		t.Fatalf("corrections %v, want %v", rm.Corrections, wantCorr)
	}
	for i, c := range rm.Corrections {
		if c.ID != wantCorr[i].ID || !slices.Equal(c.Delta, wantCorr[i].Delta) {
			t.Errorf("correction %d = %v, want %v", i, c, wantCorr[i])
		}
	}
	if !slices.Equal(prior.Rows[0].Delta, []float32{1, 1}) || prior.Rows[1].Delta != nil || !slices.Equal(prior.Corrections[1].Delta, []float32{0, 1}) || len(prior.Corrections) != 2 {
		t.Errorf("the prior map changed: %+v", prior)
	}
}

// Which tokens can follow a token that took their space is the new
// tokenizer's to say: Falcon's lone space is followed by punctuation,
// never by a word ("ĠIf" is one token); Phi-2's runs of spaces by words.
func TestSplitFollowers(t *testing.T) {
	for _, tc := range []struct {
		tokenizer, before string
		follow, not       []string
	}{
		{"falcon-7b", "Ġ", []string{"(", "\""}, []string{"If", "the"}},
		{"phi-2", "   ", []string{"If", "the", "("}, nil},
	} {
		s, err := Open(context.Background(), Inputs{Base: "testdata/example/base", Tokenizer: tokenizerDir(tc.tokenizer)})
		if err != nil {
			t.Fatal(err)
		}
		id := func(tok string) int {
			ids := s.newTok.Encode(tok, false)
			if tok == "Ġ" {
				ids = s.newTok.Encode(" ", false)
			}
			if len(ids) != 1 {
				t.Fatalf("%s: %q is %d tokens", tc.tokenizer, tok, len(ids))
			}
			return ids[0]
		}
		kept := s.splitFollowers(s.spacePairs(), id(tc.before))
		for _, tok := range tc.follow {
			c, ok := kept[id(tok)]
			if !ok {
				t.Errorf("%s: %q after %q not kept", tc.tokenizer, tok, tc.before)
				continue
			}
			if got := string(s.oldTok.Surface(c).Bytes); got != " "+tok {
				t.Errorf("%s: %q paired with the base's %q, want %q", tc.tokenizer, tok, got, " "+tok)
			}
		}
		for _, tok := range tc.not {
			if _, ok := kept[id(tok)]; ok {
				t.Errorf("%s: %q kept, but it never follows %q", tc.tokenizer, tok, tc.before)
			}
		}
	}
}

// nllChange against the NLL computed from the shifted head itself.
func TestSpaceSplitNLLChange(t *testing.T) {
	head := blas32.General{Rows: 3, Cols: 2, Stride: 2, Data: []float32{1, 0, 0, 1, -1, 2}}
	states := [][]float32{{0.5, 1}, {2, -1}, {1, 1}}
	next := []int{1, 0, -1} // the last has no next token
	u := []float64{1, 2}
	shifts := map[int]float64{1: 0.7}
	got, err := nllChange(context.Background(), head, states, next, denseDeltas(deltasOf(shifts, u), head.Cols))
	if err != nil {
		t.Fatal(err)
	}
	nll := func(w []float32, s []float32, y int) float64 {
		var l []float64
		for r := range 3 {
			l = append(l, float64(w[2*r])*float64(s[0])+float64(w[2*r+1])*float64(s[1]))
		}
		var z float64
		for _, v := range l {
			z += math.Exp(v)
		}
		return math.Log(z) - l[y]
	}
	shifted := slices.Clone(head.Data)
	shifted[2] += float32(0.7 * u[0])
	shifted[3] += float32(0.7 * u[1])
	var want float64
	for k := range 2 {
		want += nll(shifted, states[k], next[k]) - nll(head.Data, states[k], next[k])
	}
	if got.states != 2 || math.Abs(got.nats-want) > 1e-5 {
		t.Errorf("nllChange = %+v, want %.6f nats over 2 states", got, want)
	}
}

// secondMoment against the sums written out, over more rows than one
// block holds, centered and not.
func TestSecondMoment(t *testing.T) {
	const n, width = 600, 7
	rng := rand.New(rand.NewPCG(5, 6))
	rows := make([][]float32, n)
	for i := range rows {
		rows[i] = make([]float32, width)
		for a := range width {
			rows[i][a] = float32(rng.NormFloat64() + float64(a))
		}
	}
	for _, mean := range [][]float64{nil, meanOf(rows, width)} {
		got := secondMoment(rows, mean, width)
		for a := range width {
			for b := range width {
				var want float64
				for _, r := range rows {
					x, y := float64(r[a]), float64(r[b])
					if mean != nil {
						x, y = x-mean[a], y-mean[b]
					}
					want += x * y / n
				}
				if math.Abs(got.At(a, b)-want) > 1e-5*(1+math.Abs(want)) {
					t.Errorf("centered=%v: (%d,%d) = %g, want %g", mean != nil, a, b, got.At(a, b), want)
				}
			}
		}
	}
}
