package transplant

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/tokenizer"
)

// GPT-2's tokenizer begins a run of spaces, and a space before a piece it
// has no spaced token for, with a lone space: the lone space's row gets
// Mistral's tokens for runs of spaces, its own old id among them, and not
// the spaced words GPT-2 keeps whole. Rows with no other old token than
// their own need no fit and are left out.
func TestRecutProjectionSets(t *testing.T) {
	s, _ := openExample(t)
	newID, oldID := tokenIDs(t, s)
	space, the := newID("Ġ"), newID("Ġthe")
	rows := []recutRow{{old: oldID("▁"), new: space}, {old: oldID("▁the"), new: the}}
	st := &calStream{newIDs: make([]int, 1000), pos: make([]int, 1001)}
	rp := s.recutProjectionOf(st, rows, 192)
	if len(rp.rows) != 1 || rp.rows[0] != rows[0] {
		t.Fatalf("kept rows %v, want only the lone space's %v", rp.rows, rows[0])
	}
	set := rp.sets[0]
	for _, want := range []string{"▁", "▁▁", "▁▁▁▁", "▁▁▁▁▁▁▁▁"} {
		if !slices.Contains(set, oldID(want)) {
			t.Errorf("lone space: %q missing from %d old tokens", want, len(set))
		}
	}
	if slices.Contains(set, oldID("▁the")) {
		t.Errorf("lone space: holds ▁the, which GPT-2 spells as Ġthe")
	}
	if rp.stride != donorStride(1000, 192) {
		t.Errorf("stride %d, want %d", rp.stride, donorStride(1000, 192))
	}
}

// Each sample is a position between two new tokens, every stride-th, that
// the window holds; its target for each row is log Σ exp of the base's
// logits of the row's old tokens there, a path's logit lowered by the log
// of its share after the old id read last.
func TestRecutProjectionTargets(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const width, old = 4, 7
	head := blas32.General{Rows: old, Cols: width, Stride: width, Data: make([]float32, old*width)}
	for i := range head.Data {
		head.Data[i] = float32(rng.NormFloat64())
	}
	// Six new tokens over nine old ids: a BOS, then tokens of 1, 2, 1, 3
	// and 1 old ids.
	st := &calStream{ids: []int{0, 1, 2, 3, 4, 5, 6, 6, 2}, newIDs: []int{-1, 10, 11, 12, 13, 14}, pos: []int{0, 1, 2, 4, 5, 8, 9}, start: []int{-1, -1, -1, -1, -1, -1, -1}}
	rp := &recutProjection{rows: []recutRow{{old: 1, new: 20}, {old: 2, new: 21}}, sets: [][]int{{1, 3}, {2, 4, 6}}, stride: 2,
		paths: [][]recutPath{nil, {{old: 5, share: 0.25, after: map[int]float64{3: 0.9}}}}}
	rp.columns()
	var got blas32.General
	var at []int
	for _, w := range []struct{ start, rows int }{{0, 5}, {5, 4}} {
		win := &calWindow{start: w.start, states: blas32.General{Rows: w.rows, Cols: width, Stride: width, Data: make([]float32, w.rows*width)}}
		for i := range win.states.Data {
			win.states.Data[i] = float32(rng.NormFloat64())
		}
		b := rp.read(win, st, head)
		for i := range b.targets.Rows {
			// Find the state by value to tell which position it is.
			for p := range w.rows {
				if slices.Equal(b.states.Data[i*width:(i+1)*width], win.states.Data[p*width:(p+1)*width]) {
					at = append(at, w.start+p)
					for k, set := range rp.sets {
						sum := 0.0
						for _, id := range set {
							sum += math.Exp(dotRow(win.states, p, head, id))
						}
						if k == 1 {
							share := 0.25
							if st.ids[w.start+p] == 3 {
								share = 0.9 // read after old id 3
							}
							sum += share * math.Exp(dotRow(win.states, p, head, 5))
						}
						want := math.Log(sum)
						if g := float64(b.targets.Data[i*len(rp.rows)+k]); math.Abs(g-want) > 1e-5*math.Max(1, math.Abs(want)) {
							t.Errorf("position %d, row %d: target %g, want %g", w.start+p, k, g, want)
						}
					}
				}
			}
		}
		got.Rows += b.targets.Rows
	}
	// Tokens 0, 2 and 4 are sampled: after them the base stands at 0, 3
	// and 7.
	if want := []int{0, 3, 7}; !slices.Equal(at, want) {
		t.Errorf("sampled positions %v, want %v", at, want)
	}
}

// Without a donor, the recut rows are fitted to the base's projection:
// each zeroes the gradient of its least squares, nothing counts as the
// donor's (so a recipe may record the calibration), and KeepRecut keeps
// the rows.
func TestRecutRowsFittedToTheBase(t *testing.T) {
	ctx := context.Background()
	s, text := openExample(t)
	for _, keep := range []bool{false, true} {
		prior, c := calibrateMean(t, s, text, CalibrationOptions{recutOccurrences: 2, KeepRecut: keep})
		fitted, rep, err := c.Fit(ctx, prior)
		if err != nil {
			t.Fatal(err)
		}
		if rep.DonorContexts != 0 {
			t.Errorf("%d donor contexts without a donor", rep.DonorContexts)
		}
		if keep {
			if rep.Recut != 0 {
				t.Errorf("KeepRecut: %d rows refitted", rep.Recut)
			}
			continue
		}
		if rep.Recut == 0 || rep.Recut != len(c.samples.recut) {
			t.Fatalf("%d recut rows fitted of %d", rep.Recut, len(c.samples.recut))
		}
		checkRecutFit(t, c, fitted, c.samples.projection, c.samples.projected, 0)
	}
}

// Inside a run of spaces the base reads as one token, a lone space's
// target comes from the base's prediction before the run: the old tokens
// that begin with the spaces read so far, those going on into a lone
// space and those ending there (whose share takes the plain target's
// probability). Checked against a brute force over the whole vocabulary.
func TestRecutProjectionInsideARun(t *testing.T) {
	s, _ := openExample(t)
	text := []byte("if x:\n        return y\nok\n")
	st := s.calStreamOf(text, 1)
	space, _ := s.newTok.ID("Ġ")
	lone, _ := s.oldTok.ID("▁")
	const width = 8
	rp := s.recutProjectionOf(st, []recutRow{{old: lone, new: space}}, width)
	rp.stride = 1
	rng := rand.New(rand.NewPCG(5, 6))
	random := func(rows int) blas32.General {
		g := blas32.General{Rows: rows, Cols: width, Stride: width, Data: make([]float32, rows*width)}
		for i := range g.Data {
			g.Data[i] = float32(rng.NormFloat64())
		}
		return g
	}
	head, states := random(s.oldTok.VocabSize()), random(len(st.ids))
	b := rp.read(&calWindow{states: states}, st, head)

	logits := func(i int) []float64 {
		l := make([]float64, head.Rows)
		for id := range l {
			l[id] = dotRow(states, i, head, id)
		}
		return l
	}
	cut := s.oldTok.Cuts(text)
	var starts []int // byte offset of each token of the stream, BOS first
	off := 0
	for _, id := range st.newIDs {
		starts = append(starts, off)
		if id >= 0 {
			off += len(s.newTok.Surface(id).Bytes)
		}
	}
	starts = append(starts, off)
	sample, inside := 0, 0
	for k := range st.newIDs {
		at := st.pos[k+1] - 1
		if st.pos[k+1] == st.pos[k] {
			continue
		}
		l := logits(at)
		var set []float64
		for _, id := range rp.sets[0] {
			set = append(set, l[id])
		}
		want := logSumExp(set)
		if e := starts[k+1]; !cut[e] {
			j := k
			for !cut[starts[j]] {
				j--
			}
			p0, sp := logits(st.pos[j]-1), string(text[starts[j]:e])
			var begin, ends, all []float64
			for id := range s.oldTok.VocabSize() {
				sf := s.oldTok.Surface(id)
				if sf.Special || sf.Unused || !strings.HasPrefix(string(sf.Bytes), sp) {
					continue
				}
				all = append(all, p0[id])
				if rest := string(sf.Bytes[len(sp):]); rest == "" {
					ends = append(ends, p0[id])
				} else if ids := s.newTok.Encode(rest, false); ids[0] == space {
					begin = append(begin, p0[id])
				}
			}
			z := logSumExp(all)
			p := 0.0
			for _, v := range begin {
				p += math.Exp(v - z)
			}
			logZ := logSumExp(l)
			for _, v := range ends {
				p += math.Exp(v-z) * math.Exp(want-logZ)
			}
			var rest []float64 // the logits outside B_r
			for id, v := range l {
				if !slices.Contains(rp.sets[0], id) {
					rest = append(rest, v)
				}
			}
			want = logSumExp(rest) - math.Log(max(1-p, minRest)) + math.Log(max(p, minProjected))
			inside++
		}
		if got := float64(b.targets.Data[sample]); math.Abs(got-want) > 1e-4*math.Max(1, math.Abs(want)) {
			t.Errorf("token %d (%q): target %g, want %g", k, s.newTok.Surface(max(st.newIDs[k], 0)).Bytes, got, want)
		}
		sample++
	}
	if sample != b.targets.Rows || inside < 6 {
		t.Errorf("%d samples (read gave %d), %d inside the run", sample, b.targets.Rows, inside)
	}
}

// A sample inside a base token takes P(r) = begin + ends·(the plain
// target's probability), floored at minProjected, as a logit over the
// base's normalizer there.
func TestApplyInside(t *testing.T) {
	head := blas32.General{Rows: 3, Cols: 2, Stride: 2, Data: []float32{1, 0, 0, 1, -1, -1}}
	states := blas32.General{Rows: 2, Cols: 2, Stride: 2, Data: []float32{0.5, -0.5, 2, 1}}
	// The second state's logits are (2, 1, −3); old id 1 is in a row's B_r,
	// so the rest of the vocabulary is ids 0 and 2.
	logZ := logSumExp([]float64{2, 1, -3})
	logRest := logSumExp([]float64{2, -3})
	rp := &recutProjection{rows: make([]recutRow, 2), except: []int{1}}
	for _, tc := range []struct {
		begin  []float64
		ends   float64
		plain  []float64
		want   []float64 // probabilities
		others float64   // what is left for the rest of the vocabulary
	}{
		{[]float64{0.5, 0}, 0, []float64{0, 0}, []float64{0.5, minProjected}, 0.5},
		{[]float64{0.2, 0.1}, 0.5, []float64{logZ + math.Log(0.4), logZ + math.Log(0.01)}, []float64{0.2 + 0.5*0.4, 0.1 + 0.5*0.01}, 1 - 0.4 - 0.105},
		{[]float64{0, 0}, 1, []float64{logZ + math.Log(0.3), logZ - 30}, []float64{0.3, minProjected}, 0.7},
		{[]float64{0.7, 0.4}, 0, []float64{0, 0}, []float64{0.7, 0.4}, minRest},
	} {
		y := []float64{7, 7, tc.plain[0], tc.plain[1]} // the first sample is not inside
		rp.applyInside(y, []insideRun{{sample: 1, begin: tc.begin, ends: tc.ends}}, states, head)
		if y[0] != 7 || y[1] != 7 {
			t.Errorf("%+v: a sample not inside moved: %v", tc, y[:2])
		}
		for k, p := range tc.want {
			if want := logRest + math.Log(p) - math.Log(tc.others); math.Abs(y[2+k]-want) > 1e-5 {
				t.Errorf("%+v: row %d target %g, want %g", tc, k, y[2+k], want)
			}
		}
		if tc.others == minRest {
			continue
		}
		// With the rows at their targets beside the rest of the vocabulary,
		// each gets its probability.
		z := logSumExp([]float64{y[2], y[3], logRest})
		if got := math.Exp(y[2] - z); math.Abs(got-tc.want[0]) > 1e-6 {
			t.Errorf("%+v: row 0 gets %g, want %g", tc, got, tc.want[0])
		}
	}
}

// tokenIDs returns functions that give the id of a token of s's new and
// old vocabulary by its spelling, failing t when there is none.
func tokenIDs(t *testing.T, s *Session) (newID, oldID func(string) int) {
	id := func(tok *tokenizer.Tokenizer, which, spelling string) int {
		t.Helper()
		id, ok := tok.ID(spelling)
		if !ok {
			t.Fatalf("no %s token %q", which, spelling)
		}
		return id
	}
	return func(sp string) int { return id(s.newTok, "new", sp) }, func(sp string) int { return id(s.oldTok, "old", sp) }
}
