package transplant

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/eval/forward"
	"github.com/transplant-dev/transplant/tokenizer"
)

// calStream is a calibration text cut by the new tokenizer and spelled in
// old ids: shared tokens by their old id, new tokens by their old pieces,
// so that the base model reads the text as the new tokenizer cuts it.
type calStream struct {
	ids []int
	// occ lists where new tokens start: the token's map row, the position
	// of its first piece and its number of pieces.
	occ []calOccurrence
	// inner marks positions inside a new token after its first piece:
	// the base's log-probability of those pieces is part of a target.
	inner []bool
	// after marks positions whose successor's NLL a calibration needs as
	// well (sharedRows); nil when none.
	after []bool
	// tokens counts the new tokenizer's tokens in the text.
	tokens int
	// newIDs is the text in new ids, -1 where a chunk starts (the BOS),
	// and pos[j] where newIDs[j]'s old ids start in ids (pos has one more
	// entry, len(ids)). After token j, which has old ids when pos[j+1] >
	// pos[j], the base and a model on the new tokenizer stand at the same
	// byte: that is where a donor's predictions meet the base's.
	newIDs, pos []int
	// recut marks, per entry of newIDs, the tokens whose bytes the base's
	// tokenizer cuts otherwise (see tokenizer.Recut).
	recut []bool
	// text is the text; start[j] is the offset in it at which newIDs[j]
	// starts (start has one more entry, like pos), -1 at a chunk's start
	// and for a token that begins before its chunk; cut marks the offsets
	// at which the base's own cut of each chunk starts or ends a token.
	text  []byte
	start []int
	cut   []bool
	// context asks runWindow for the rows of contextRows.
	context bool
}

type calOccurrence struct{ row, start, pieces int }

// calStreamOf encodes text for calibration. bos starts each chunk (none
// when negative). Tokens with neither an old id nor pieces (new special
// tokens) are dropped.
func (s *Session) calStreamOf(text []byte, bos int) *calStream {
	old := map[int]int{}
	for _, a := range s.anchors {
		old[a.New] = a.Old
	}
	row := map[int]int{}
	for i, t := range s.targets {
		row[t.NewID] = i
	}
	chunks := eval.Chunks(text, eval.DefaultChunkBytes)
	strs := make([]string, len(chunks))
	for i, c := range chunks {
		strs[i] = string(c)
	}
	st := &calStream{text: text, cut: make([]bool, len(text)+1)}
	at := 0 // the chunk's offset in text
	for c, ids := range s.newTok.EncodeBatch(strs, false) {
		st.newIDs, st.pos, st.recut, st.start = append(st.newIDs, -1), append(st.pos, len(st.ids)), append(st.recut, false), append(st.start, -1)
		if bos >= 0 {
			st.ids = append(st.ids, bos)
		}
		cut, starts := s.oldTok.Cuts(chunks[c]), s.newTok.Starts(chunks[c], ids)
		copy(st.cut[at:], cut)
		recut := tokenizer.RecutAt(cut, starts, s.newTok, ids)
		for k, id := range ids {
			st.tokens++
			st.newIDs, st.pos = append(st.newIDs, id), append(st.pos, len(st.ids))
			st.recut = append(st.recut, recut != nil && recut[k])
			if starts != nil && starts[k] >= 0 {
				st.start = append(st.start, at+starts[k])
			} else {
				st.start = append(st.start, -1)
			}
			if o, ok := old[id]; ok {
				st.ids = append(st.ids, o)
				continue
			}
			i, ok := row[id]
			if !ok || len(s.targets[i].Pieces) == 0 {
				continue
			}
			pieces := s.targets[i].Pieces
			st.occ = append(st.occ, calOccurrence{row: i, start: len(st.ids), pieces: len(pieces)})
			for _, p := range pieces {
				st.ids = append(st.ids, p.ID)
			}
		}
		at += len(chunks[c])
	}
	st.pos, st.start = append(st.pos, len(st.ids)), append(st.start, -1)
	st.inner = make([]bool, len(st.ids))
	for _, o := range st.occ {
		for k := 1; k < o.pieces; k++ {
			st.inner[o.start+k] = true
		}
	}
	return st
}

// A calSpan is a window of the stream: ids[start:end], and when the
// windows follow the new tokens, newIDs[newStart:newEnd], the same bytes.
type calSpan struct{ start, end, newStart, newEnd int }

// fixedSpans cuts the stream into non-overlapping windows of n ids.
func (st *calStream) fixedSpans(n int) []calSpan {
	var spans []calSpan
	for s := 0; s < len(st.ids); s += n {
		spans = append(spans, calSpan{start: s, end: min(s+n, len(st.ids))})
	}
	return spans
}

// tokenSpans cuts the stream into windows of whole new tokens, each at
// most n old ids and n new ids long, so that the base and a donor read the
// same bytes in each.
func (st *calStream) tokenSpans(n int) []calSpan {
	var spans []calSpan
	for j0 := 0; j0 < len(st.newIDs); {
		j1 := j0 + 1 // a token longer than n pieces gets a window of its own
		for j1 < len(st.newIDs) && j1-j0 < n && st.pos[j1+1]-st.pos[j0] <= n {
			j1++
		}
		spans = append(spans, calSpan{start: st.pos[j0], end: min(st.pos[j1], st.pos[j0]+n), newStart: j0, newEnd: j1})
		j0 = j1
	}
	return spans
}

// calWindow is what one window of the base's pass gives: the states of
// every position and the negative log-likelihood of each inner piece (at
// the position that predicts it).
type calWindow struct {
	start  int
	of     int64 // windows in the pass
	states blas32.General
	nll    []float64
	// context holds, when the stream asks for it, the residual stream after
	// the base's first contextLayers layers at each position, as the input
	// row that puts it there (contextRows).
	context []float32
	// donor holds, when a donor reads the window too, the base's states
	// where the two stand at the same byte and the donor's targets there.
	donor *donorBlock
}

// runBase runs read over the stream's windows, on all cores, and hands
// each window to use in order.
func runBase(ctx context.Context, spans []calSpan, read func(calSpan) (*calWindow, error), use func(*calWindow) error) error {
	return inOrder(ctx, spans, read, func(w *calWindow) error {
		w.of = int64(len(spans))
		return use(w)
	})
}

// inOrder runs read over jobs, on all cores, and hands each result to use
// in the order of jobs.
func inOrder[J, R any](ctx context.Context, jobs []J, read func(J) (R, error), use func(R) error) error {
	workers := min(runtime.GOMAXPROCS(0), max(len(jobs), 1))
	results := make([]chan R, len(jobs))
	for i := range results {
		results[i] = make(chan R) // unbuffered: a worker runs at most one job ahead of use
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(jobs); i += workers {
				if ctx.Err() != nil {
					return
				}
				r, err := read(jobs[i])
				if err != nil {
					errs <- err
					cancel()
					return
				}
				select {
				case results[i] <- r:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	defer wg.Wait()
	for i := range jobs {
		select {
		case r := <-results[i]:
			if err := use(r); err != nil {
				return err
			}
		case err := <-errs:
			return fmt.Errorf("transplant: calibration: %w", err)
		case <-ctx.Done():
			select {
			case err := <-errs: // the worker's error, not the cancellation it caused
				return fmt.Errorf("transplant: calibration: %w", err)
			default:
				return ctx.Err()
			}
		}
	}
	return nil
}

// runWindow runs the base over one window: its states, and the NLL of the
// inner pieces of new tokens.
func runWindow(m *forward.Model, st *calStream, span calSpan) (*calWindow, error) {
	start, end := span.start, span.end
	ids := st.ids[start:end]
	targets := make([]int, len(ids))
	for i := range targets {
		targets[i] = -1
		if start+i+1 < end && (st.inner[start+i+1] || st.after != nil && st.after[start+i]) {
			targets[i] = st.ids[start+i+1]
		}
	}
	h := m.Config().Hidden
	win := &calWindow{start: start, nll: make([]float64, len(ids)),
		states: blas32.General{Rows: len(ids), Cols: h, Stride: h, Data: make([]float32, len(ids)*h)}}
	var res forward.Residual
	if st.context {
		win.context = make([]float32, len(ids)*h)
		res = forward.Residual{After: min(contextLayers, m.Layers()), Dst: win.context}
	}
	if err := m.NLLStatesResidual(win.nll, win.states.Data, res, ids, targets); err != nil {
		return nil, err
	}
	if st.context {
		for i := range ids {
			row := win.context[i*h : (i+1)*h]
			if err := m.InputRow(row, row, i); err != nil {
				return nil, err
			}
		}
	}
	return win, nil
}
