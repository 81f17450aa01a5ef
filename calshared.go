package transplant

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/calibrate"
	"github.com/transplant-dev/transplant/heuristics"
)

// sharedRows are the fitting problems of the head rows of shared tokens
// that new tokens begin with. Where the base reads such a token o, the
// text may go on with pieces that now make a new token instead: the
// probability the base gives o covers those continuations, which belong
// to the new tokens on the new tokenizer. Left as it is, o's row counts
// them twice, once in its own logit and once in the new tokens', and the
// softmax takes the surplus from every other token. Each sample asks o's
// logit to give it only what is left:
//
//	y = logit_o(h) + log(1 − Σ_q r_oq P(q | h, o))
//
// q ranging over the old ids that follow o in a new token, P the base's
// probabilities after reading o, and r_oq how often the new tokenizer
// joins o and q into one token where the text has them one after the
// other: all the time when it extends the old one, less when it cuts text
// its own way (counted on the calibration text, see joinRates).
type sharedRows struct {
	index   map[int]int // old id → row
	old     []int       // per row: the old id
	newID   []int       // per row: its id on the new tokenizer
	next    [][]int     // per row: the old ids that continue it into a new token
	rate    [][]float64 // per row and next id: r_oq
	states  [][]float32
	targets [][]float64
	pick    *spread // which contexts of each row are sampled
}

// minRest bounds what a shared token keeps of its probability, so that a
// context in which the base is sure of a continuation asks a finite logit.
const minRest = 1e-3

// sharedRowsOf lists the shared tokens that new tokens begin with, but
// those made of spaces and tabs alone: what follows a lone space is a word,
// and whether the space stands alone before it depends on the text's
// layout (indented code and legal text put runs of spaces where prose has
// one) more than on anything the calibration text can show. Fitted all
// the same, the lone space of GPT-2's tokenizer cost licenses text 0.5% of
// its bits per byte, all on that one token (bench/quality/token_diff.py).
// A line break is fitted: it ends a line or a paragraph much as it does in
// the calibration text. Left as the base has it, the base's newline kept
// the probability of the blank lines that Gemma 3's and Llama 3's "\n\n"
// now take as well. Fitted, onto Gemma 3's tokenizer without a donor, the
// first 60 kB of Go doc comments went from 2.689 to 2.684 bits per byte
// (the base: 2.658) and of licenses from 2.245 to 2.241 (2.199); onto
// Llama 3's 2.637 → 2.633 and 2.165 → 2.164; with donor B onto GPT-2's,
// no change in the third decimal.
// Recut rows, which the donor or the base's projection fits, are left
// out too.
func (s *Session) sharedRowsOf(st *calStream, recut []recutRow, maxOcc int) *sharedRows {
	skip := map[int]bool{}
	for _, r := range recut {
		skip[r.old] = true
	}
	newOf := map[int]int{}
	for _, a := range s.anchors {
		newOf[a.Old] = a.New
	}
	sr := &sharedRows{index: map[int]int{}}
	seen := map[[2]int]bool{}
	for _, t := range s.targets {
		if len(t.Pieces) < 2 {
			continue
		}
		o, q := t.Pieces[0].ID, t.Pieces[1].ID
		nid, shared := newOf[o]
		if !shared || skip[o] || !s.alignment.Kind[nid].Copied() || isBlank(s.oldTok.Surface(o).Bytes) {
			continue
		}
		r, ok := sr.index[o]
		if !ok {
			r = len(sr.old)
			sr.index[o] = r
			sr.old, sr.newID, sr.next = append(sr.old, o), append(sr.newID, nid), append(sr.next, nil)
		}
		if !seen[[2]int{o, q}] {
			seen[[2]int{o, q}] = true
			sr.next[r] = append(sr.next[r], q)
		}
	}
	sr.rate = sr.joinRates(st)
	sr.states, sr.targets = make([][]float32, len(sr.old)), make([][]float64, len(sr.old))
	st.after = make([]bool, len(st.ids))
	sr.pick = newSpread(len(sr.old), maxOcc)
	for i, id := range st.ids {
		if r, ok := sr.index[id]; ok && !st.inner[i] {
			st.after[i] = true
			sr.pick.count(r)
		}
	}
	return sr
}

// joinRates estimates r_oq on the stream: the times o and q stand in one
// new token over the times they stand one after the other at all, with
// half a join and half a split added, so that a pair the text never shows
// counts as joined half the time.
func (sr *sharedRows) joinRates(st *calStream) [][]float64 {
	type pair [2]int
	joined, split := map[pair]float64{}, map[pair]float64{}
	for _, oc := range st.occ {
		if oc.pieces >= 2 {
			joined[pair{st.ids[oc.start], st.ids[oc.start+1]}]++
		}
	}
	for i := 0; i+1 < len(st.ids); i++ {
		if !st.inner[i] && !st.inner[i+1] {
			split[pair{st.ids[i], st.ids[i+1]}]++
		}
	}
	rates := make([][]float64, len(sr.old))
	for r, o := range sr.old {
		for _, q := range sr.next[r] {
			j, s := joined[pair{o, q}], split[pair{o, q}]
			rates[r] = append(rates[r], (j+0.5)/(j+s+1))
		}
	}
	return rates
}

// collect adds the samples of a window: state j predicts a first piece o
// at stream position g = start+j+1, and state j+1, which has read it,
// gives the probabilities of what follows. The window holds the NLL of
// position g's successor (runWindow computes it where st.after is set).
func (sr *sharedRows) collect(w *calWindow, st *calStream, head blas32.General) {
	end := w.start + w.states.Rows
	for j := 0; j+1 < w.states.Rows; j++ {
		g := w.start + j + 1
		if !st.after[g] || g+1 >= end {
			continue
		}
		r, ok := sr.index[st.ids[g]] // st.after marks the first pieces of firstPieces too
		if !ok || !sr.pick.keep(r) {
			continue
		}
		logZ := logZAfter(w, st, head, j)
		rest := 1.0
		for k, q := range sr.next[r] {
			rest -= sr.rate[r][k] * math.Exp(dotRow(w.states, j+1, head, q)-logZ)
		}
		y := dotRow(w.states, j, head, st.ids[g]) + math.Log(max(rest, minRest))
		sr.states[r] = appendState(sr.states[r], w.states, j, head.Cols)
		sr.targets[r] = append(sr.targets[r], y)
	}
}

// logZAfter is the base's log-normalizer at window state j+1, which has
// read the first piece at stream position w.start+j+1: the logit of the
// id that follows plus its NLL, which runWindow computes where st.after
// is set.
func logZAfter(w *calWindow, st *calStream, head blas32.General, j int) float64 {
	return dotRow(w.states, j+1, head, st.ids[w.start+j+2]) + w.nll[j+1]
}

// fit fits every shared row with samples from its base row, as fitRows
// does new rows, and returns the corrections in new id order.
func (sr *sharedRows) fit(ctx context.Context, f *calibrate.Fitter, base blas32.General) ([]heuristics.Correction, error) {
	var todo []int
	for r := range sr.old {
		if len(sr.targets[r]) > 0 {
			todo = append(todo, r)
		}
	}
	out := make([]heuristics.Correction, len(todo))
	err := parallelRows(ctx, len(todo), func(k int) error {
		r := todo[k]
		prior := base.Data[sr.old[r]*base.Stride : sr.old[r]*base.Stride+base.Cols]
		fitted := make([]float32, base.Cols)
		states := blas32.General{Rows: len(sr.targets[r]), Cols: base.Cols, Stride: base.Cols, Data: sr.states[r]}
		if err := f.Fit(fitted, prior, states, sr.targets[r]); err != nil {
			return err
		}
		for j := range fitted {
			fitted[j] -= prior[j]
		}
		out[k] = heuristics.Correction{ID: sr.newID[r], Delta: fitted}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b heuristics.Correction) int { return a.ID - b.ID })
	return out, nil
}

// parallelRows calls fn for 0 ≤ k < n on all cores, k strided over the
// workers, and returns the errors joined.
func parallelRows(ctx context.Context, n int, fn func(k int) error) error {
	workers := min(runtime.GOMAXPROCS(0), max(n, 1))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < n; k += workers {
				if err := ctx.Err(); err != nil {
					errs[w] = err
					return
				}
				if err := fn(k); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// fitShared sets rm's corrections of shared rows, when the samples have
// them: those new tokens begin with (fitted to the base, which has the
// share of the rows the donor does not) and the recut ones.
func fitShared(ctx context.Context, f calFitters, rm *heuristics.Map, base blas32.General, cs *calSamples, rep *CalibrationReport) error {
	if cs.shared == nil && len(cs.recut) == 0 {
		return nil
	}
	rm.Corrections = nil
	if cs.shared != nil && f.stay != nil { // else the donor fits every row
		c, err := cs.shared.fit(ctx, f.stay, base)
		if err != nil {
			return fmt.Errorf("transplant: calibration: shared rows: %w", err)
		}
		for _, corr := range c { // the fit to the donor leaves them as they are
			for j := range corr.Delta {
				corr.Delta[j] *= float32(1 - cs.donorWeight)
			}
		}
		rm.Corrections, rep.Shared = c, len(c)
	}
	if len(cs.recut) == 0 {
		return nil
	}
	c, err := cs.fitRecutRows(ctx, base)
	if err != nil {
		return fmt.Errorf("transplant: calibration: recut rows: %w", err)
	}
	rm.Corrections = append(rm.Corrections, c...)
	slices.SortFunc(rm.Corrections, func(a, b heuristics.Correction) int { return a.ID - b.ID })
	rep.Recut = len(c)
	return nil
}

// isBlank reports whether b is spaces and tabs only.
func isBlank(b []byte) bool {
	return len(bytes.Trim(b, " \t")) == 0
}
