package transplant

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

// GPT-2's tokenizer begins a run of spaces, and a space before a piece it
// has no spaced token for, with a lone space: the lone space's row gets
// Mistral's tokens for runs of spaces, its own old id among them, and not
// the spaced words GPT-2 keeps whole. Rows with no other old token than
// their own need no fit and are left out.
func TestRecutProjectionSets(t *testing.T) {
	s, _ := openExample(t)
	newID := func(tok string) int {
		id, ok := s.newTok.ID(tok)
		if !ok {
			t.Fatalf("no new token %q", tok)
		}
		return id
	}
	oldID := func(tok string) int {
		id, ok := s.oldTok.ID(tok)
		if !ok {
			t.Fatalf("no old token %q", tok)
		}
		return id
	}
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
// logits of the row's old tokens there.
func TestRecutProjectionTargets(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const width, old = 4, 7
	head := blas32.General{Rows: old, Cols: width, Stride: width, Data: make([]float32, old*width)}
	for i := range head.Data {
		head.Data[i] = float32(rng.NormFloat64())
	}
	// Six new tokens over nine old ids: a BOS, then tokens of 1, 2, 1, 3
	// and 1 old ids.
	st := &calStream{newIDs: []int{-1, 10, 11, 12, 13, 14}, pos: []int{0, 1, 2, 4, 5, 8, 9}}
	rp := &recutProjection{rows: []recutRow{{old: 1, new: 20}, {old: 2, new: 21}}, sets: [][]int{{1, 3}, {2, 4, 6}}, stride: 2}
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
						var logits []float64
						for _, id := range set {
							logits = append(logits, dotRow(win.states, p, head, id))
						}
						want := logSumExp(logits)
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
		checkRecutFit(t, c, fitted, 0)
	}
}
