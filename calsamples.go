package transplant

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/eval/forward"
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
	// tokens counts the new tokenizer's tokens in the text.
	tokens int
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
	st := &calStream{}
	for _, ids := range s.newTok.EncodeBatch(strs, false) {
		if bos >= 0 {
			st.ids = append(st.ids, bos)
		}
		for _, id := range ids {
			st.tokens++
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
	}
	st.inner = make([]bool, len(st.ids))
	for _, o := range st.occ {
		for k := 1; k < o.pieces; k++ {
			st.inner[o.start+k] = true
		}
	}
	return st
}

// calWindow is what one window of the base's pass gives: the states of
// every position and the negative log-likelihood of each inner piece (at
// the position that predicts it).
type calWindow struct {
	start  int
	of     int64 // windows in the pass
	states blas32.General
	nll    []float64
}

// runBase runs the base model over the stream in non-overlapping windows
// of n ids, on all cores, and hands each window to use in order.
func runBase(ctx context.Context, m *forward.Model, st *calStream, n int, use func(*calWindow) error) error {
	var starts []int
	for s := 0; s < len(st.ids); s += n {
		starts = append(starts, s)
	}
	workers := min(runtime.GOMAXPROCS(0), max(len(starts), 1))
	results := make([]chan *calWindow, len(starts))
	for i := range results {
		results[i] = make(chan *calWindow, 1)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(starts); i += workers {
				if ctx.Err() != nil {
					return
				}
				win, err := runWindow(m, st, starts[i], min(starts[i]+n, len(st.ids)))
				if err != nil {
					errs <- err
					cancel()
					return
				}
				select {
				case results[i] <- win:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	defer wg.Wait()
	for i := range starts {
		select {
		case win := <-results[i]:
			win.of = int64(len(starts))
			if err := use(win); err != nil {
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

func runWindow(m *forward.Model, st *calStream, start, end int) (*calWindow, error) {
	ids := st.ids[start:end]
	targets := make([]int, len(ids))
	for i := range targets {
		targets[i] = -1
		if start+i+1 < end && st.inner[start+i+1] {
			targets[i] = st.ids[start+i+1]
		}
	}
	h := m.Config().Hidden
	win := &calWindow{start: start, nll: make([]float64, len(ids)),
		states: blas32.General{Rows: len(ids), Cols: h, Stride: h, Data: make([]float32, len(ids)*h)}}
	if err := m.NLLStates(win.nll, win.states.Data, ids, targets); err != nil {
		return nil, err
	}
	return win, nil
}
