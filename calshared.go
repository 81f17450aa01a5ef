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
// that new tokens begin or go on with. Where the base reads such a token
// o, the text may go on with pieces that now make a new token instead: the
// probability the base gives o covers those continuations, which belong
// to the new tokens on the new tokenizer. Left as it is, o's row counts
// them twice, once in its own logit and once in the new tokens', and the
// softmax takes the surplus from every other token. Each sample of a
// context where o stands as a token of its own asks o's logit to give it
// only what is left:
//
//	y = logit_o(h) + log(1 − Σ_q r_oq P(q | h, o))
//
// q ranging over the old ids that follow o in a new token, P the base's
// probabilities after reading o, and r_oq how often the new tokenizer
// joins o and q into one token where the text has them one after the
// other: all the time when it extends the old one, less when it cuts text
// its own way (counted on the calibration text, see joinRates).
//
// The same pairs cost once more after o: having read o, the base still
// gives q the probability of the pair, which the new tokenizer writes as
// one token and never (when r_oq = 1) as o then q. Each context that has
// read o therefore also gives a sample to the row of the q that takes the
// most there,
//
//	y = logit_q(h') + followDrop(r_oq, P(q | h', o))
//
// and where q stands as a token of its own (and begins no new token), its
// row keeps its logit, y = logit_q(h), so that lowering q after o does not
// lower it everywhere. Extending A by 2,000 tokens learned on calib.txt,
// the extended model spent 827 of its 380,480 bits on heldout.txt on such
// continuations (bench/quality/forbidden.py); with these samples, bounded
// at 1 nat, 444 of 380,033. It scored 1.0066 of A's bits per byte there
// instead of 1.0079, on Go doc comments, licenses and Python docs 1.0017,
// 1.0024 and 1.0027 instead of 1.0026, 1.0030 and 1.0030.
type sharedRows struct {
	index map[int]int // old id → row
	old   []int       // per row: the old id
	newID []int       // per row: its id on the new tokenizer
	// first is the number of rows new tokens begin with, which come
	// first; the others only go on from them.
	first   int
	next    [][]int     // per row: the old ids that continue it into a new token
	nextRow [][]int     // per row and next id: that id's row, −1 when it has none
	rate    [][]float64 // per row and next id: r_oq
	// states and targets are the contexts that predict the row's token
	// where it stands as a token of its own; follow and followTargets
	// the contexts that have read a token it no longer follows as often.
	states, follow         [][]float32
	targets, followTargets [][]float64
	// sampled marks the stream positions whose token gives its row a
	// sample (see planSamples); followPick picks each row's follow samples.
	sampled    []bool
	followPick *spread
}

// followDrop is how far, in nats, a continuation's logit is asked to fall
// after a token the new tokenizer joins it to at rate r, where the base
// gives it probability p: as far as the join asks, log(1 − r), but no
// further than 1 nat below the base or, where that leaves it more than
// followFloor, down to followFloor. The join is certain in an extension;
// but the row is one vector for every context, and asked for more where
// the base gives the continuation little, it falls where it should not.
// Extending A by 2,000 tokens, with a sample for every continuation of
// each context, bounds of 0.5, 1 and 2 nats scored 1.8916, 1.8910 and
// 1.8916 bits per byte on heldout.txt, no bound (log minRest, 6.9 nats)
// 1.8932, no follow samples 1.8931; one per context, 1.8909. A line break
// after a line break is likelier than any bound of the kind leaves: with
// line-break tokens the base's "\n" after "\n", which the new "\n\n" takes,
// still cost 225 bits on heldout.txt at 1 nat; down to followFloor, 30.
// Against 1 nat alone, the extension scored 1.0066, 1.0017, 1.0024 and
// 1.0027 of A's bits per byte on heldout.txt, Go doc comments, licenses
// and Python docs instead of 1.0067, 1.0018, 1.0025 and 1.0026 without
// line-break tokens (--line-breaks=false), and with them 1.0103, 1.0060, 1.0027 and 1.0078 instead of 1.0121,
// 1.0081, 1.0024 and 1.0097 (a floor of 1% alone: 1.0104, 1.0064, 1.0031
// and 1.0083; 5%: 1.0113 on heldout.txt; 0.2%: 1.0105).
func followDrop(r, p float64) float64 {
	return max(math.Log(max(1-r, minRest)), min(-maxFollowDrop, math.Log(followFloor/p)))
}

const (
	maxFollowDrop = 1.0
	followFloor   = 0.01
)

// minRest bounds what a shared token keeps of its probability, so that a
// context in which the base is sure of a continuation asks a finite logit.
const minRest = 1e-3

// sharedRowsOf lists the shared tokens that new tokens begin or go on with,
// but those made of spaces and tabs alone: what follows a lone space is a
// word, and whether the space stands alone before it depends on the text's
// layout (indented code and legal text put runs of spaces where prose has
// one) more than on anything the calibration text can show. Fitted all the
// same, the lone space of GPT-2's tokenizer cost licenses text 0.5% of its
// bits per byte, all on that one token (bench/quality/token_diff.py). A line
// break is fitted: it ends a line or a paragraph much as it does in the
// calibration text. Left as the base has it, the base's newline kept the
// probability of the blank lines that Gemma 3's and Llama 3's "\n\n" now
// take as well. Fitted, onto Gemma 3's tokenizer without a donor, the first
// 60 kB of Go doc comments went from 2.689 to 2.684 bits per byte (the base:
// 2.658) and of licenses from 2.245 to 2.241 (2.199); onto Llama 3's 2.637 →
// 2.633 and 2.165 → 2.164; with donor B onto GPT-2's, no change in the third
// decimal. Recut rows, which the donor or the base's projection fits, are
// left out too.
func (s *Session) sharedRowsOf(st *calStream, spans []calSpan, recut []recutRow, maxOcc int) *sharedRows {
	skip := map[int]bool{}
	for _, r := range recut {
		skip[r.old] = true
	}
	newOf := map[int]int{}
	for _, a := range s.anchors {
		newOf[a.Old] = a.New
	}
	fitted := func(o int) (int, bool) {
		nid, shared := newOf[o]
		return nid, shared && !skip[o] && s.alignment.Kind[nid].Copied() && !isBlank(s.oldTok.Surface(o).Bytes)
	}
	sr := &sharedRows{index: map[int]int{}}
	seen := map[[2]int]bool{}
	for _, t := range s.targets {
		if len(t.Pieces) < 2 {
			continue
		}
		o, q := t.Pieces[0].ID, t.Pieces[1].ID
		nid, ok := fitted(o)
		if !ok {
			continue
		}
		r := sr.row(o, nid)
		if !seen[[2]int{o, q}] {
			seen[[2]int{o, q}] = true
			sr.next[r] = append(sr.next[r], q)
		}
	}
	sr.first = len(sr.old)
	sr.nextRow = make([][]int, sr.first)
	for r := range sr.first {
		for _, q := range sr.next[r] {
			qr := -1
			if nid, ok := fitted(q); ok {
				qr = sr.row(q, nid)
			}
			sr.nextRow[r] = append(sr.nextRow[r], qr)
		}
	}
	sr.rate = sr.joinRates(st)
	sr.planSamples(st, spans, maxOcc)
	return sr
}

// row returns old id o's row, adding one.
func (sr *sharedRows) row(o, newID int) int {
	if r, ok := sr.index[o]; ok {
		return r
	}
	sr.index[o] = len(sr.old)
	sr.old, sr.newID, sr.next = append(sr.old, o), append(sr.newID, newID), append(sr.next, nil)
	return len(sr.old) - 1
}

// planSamples picks, before the base's pass, the contexts each row is
// sampled at: at most maxOcc, spread over the text, among those the spans'
// windows hold (a first piece needs the state after it in the window too).
// Only at the first pieces picked does runWindow compute the probabilities
// after them (st.after): a row of a common token has thousands of contexts
// and keeps maxOcc, and marking them all ran the base's head at 62% of the
// shared models' calib.txt onto GPT-2's tokenizer, most of the pass's time.
// A row's follow samples are at most one per sampled context of each token
// it goes on from.
func (sr *sharedRows) planSamples(st *calStream, spans []calSpan, maxOcc int) {
	sr.states, sr.targets = make([][]float32, len(sr.old)), make([][]float64, len(sr.old))
	sr.follow, sr.followTargets = make([][]float32, len(sr.old)), make([][]float64, len(sr.old))
	if st.after == nil {
		st.after = make([]bool, len(st.ids))
	}
	sr.sampled = make([]bool, len(st.ids))
	pick := newSpread(len(sr.old), maxOcc)
	for i, id := range st.ids {
		if r, ok := sr.index[id]; ok && !st.inner[i] {
			pick.count(r)
		}
	}
	for _, sp := range spans {
		for g := sp.start + 1; g < sp.end; g++ {
			r, ok := sr.index[st.ids[g]]
			if ok && !st.inner[g] && (r >= sr.first || g+1 < sp.end) && pick.keep(r) {
				sr.sampled[g] = true
				st.after[g] = st.after[g] || r < sr.first
			}
		}
	}
	sr.followPick = newSpread(len(sr.old), maxOcc)
	for r := range sr.first {
		for _, qr := range sr.nextRow[r] {
			if qr >= 0 {
				sr.followPick.countN(qr, min(pick.total[r], maxOcc))
			}
		}
	}
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

// collect adds the samples of a window: state j predicts a shared token
// at stream position g = start+j+1, and when that is a first piece, state
// j+1, which has read it, gives the probabilities of what follows. The
// window holds the NLL of position g's successor (runWindow computes it
// where st.after is set).
func (sr *sharedRows) collect(w *calWindow, st *calStream, head blas32.General) {
	for j := 0; j+1 < w.states.Rows; j++ {
		g := w.start + j + 1
		if !sr.sampled[g] {
			continue
		}
		r := sr.index[st.ids[g]]
		rest := 1.0
		if r < sr.first {
			rest = sr.followSamples(w, st, head, r, j)
		}
		y := dotRow(w.states, j, head, st.ids[g]) + math.Log(max(rest, minRest))
		sr.states[r] = appendState(sr.states[r], w.states, j, head.Cols)
		sr.targets[r] = append(sr.targets[r], y)
	}
}

// followSamples returns what the base leaves first piece r at window
// state j once its continuations into new tokens are taken away, and adds
// the follow sample of state j+1 to the row of the continuation that takes
// the most there.
func (sr *sharedRows) followSamples(w *calWindow, st *calStream, head blas32.General, r, j int) float64 {
	logZ := logZAfter(w, st, head, j)
	rest, most, to, y := 1.0, 0.0, -1, 0.0
	for k, q := range sr.next[r] {
		z := dotRow(w.states, j+1, head, q)
		p := sr.rate[r][k] * math.Exp(z-logZ)
		rest -= p
		if qr := sr.nextRow[r][k]; qr >= 0 && sr.followPick.keep(qr) && p > most {
			most, to, y = p, qr, z+followDrop(sr.rate[r][k], p/sr.rate[r][k])
		}
	}
	if to >= 0 {
		sr.follow[to] = appendState(sr.follow[to], w.states, j+1, head.Cols)
		sr.followTargets[to] = append(sr.followTargets[to], y)
	}
	return rest
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
		if len(sr.targets[r])+len(sr.followTargets[r]) > 0 {
			todo = append(todo, r)
		}
	}
	out := make([]heuristics.Correction, len(todo))
	err := parallelRows(ctx, len(todo), func(k int) error {
		r := todo[k]
		prior := base.Data[sr.old[r]*base.Stride : sr.old[r]*base.Stride+base.Cols]
		fitted := make([]float32, base.Cols)
		targets := slices.Concat(sr.targets[r], sr.followTargets[r])
		states := blas32.General{Rows: len(targets), Cols: base.Cols, Stride: base.Cols, Data: slices.Concat(sr.states[r], sr.follow[r])}
		if err := f.Fit(fitted, prior, states, targets); err != nil {
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
