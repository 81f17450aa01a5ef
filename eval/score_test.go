package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"testing"
)

// recorder is a LanguageModel over a stream whose id at position p is p, so
// a window's ids say where it sits. It records, for every target it scores,
// how many ids of context the target had, and gives it an NLL that depends
// on both (a closed form the tests recompute).
type recorder struct {
	ctx     int
	mu      sync.Mutex
	context map[int][]int // target position -> context lengths seen
	fail    int           // window start at which NLL fails; -1: never
}

func newRecorder(ctx int) *recorder {
	return &recorder{ctx: ctx, context: map[int][]int{}, fail: -1}
}

func (r *recorder) Context() int { return r.ctx }

func (r *recorder) NLL(dst []float64, ids, targets []int) error {
	if ids[0] == r.fail {
		return errors.New("injected failure")
	}
	for i := 1; i < len(ids); i++ {
		if ids[i] != ids[i-1]+1 {
			return fmt.Errorf("window ids not contiguous: %v", ids)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, t := range targets {
		if t < 0 {
			continue
		}
		if t != ids[i]+1 {
			return fmt.Errorf("target %d after id %d", t, ids[i])
		}
		r.context[t] = append(r.context[t], i+1)
		dst[i] = recorderNLL(t, i+1)
	}
	return nil
}

func recorderNLL(pos, ctx int) float64 { return math.Log(float64(pos+1)) + float64(ctx)/1000 }

// wantContext is the context of target p (≥ 1) under windows of c ids, s
// apart: the first window sees p ids; later targets belong to the window at
// ⌈(p-c)/s⌉·s.
func wantContext(p, c, s int) int {
	if p <= c {
		return p
	}
	k := (p - c + s - 1) / s
	return p - k*s
}

func positions(n int) []int {
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i
	}
	return ids
}

func TestScoreWindows(t *testing.T) {
	cases := []struct{ n, context, stride, workers int }{
		{1000, 256, 0, 1},
		{1000, 256, 0, 4},
		{1000, 256, 100, 3},
		{1000, 64, 1, 2},
		{10, 256, 0, 2},  // shorter than a window
		{257, 256, 0, 2}, // exactly one full window
		{258, 256, 0, 2}, // a second window with one target
		{513, 256, 256, 2},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("n%d_c%d_s%d_w%d", tc.n, tc.context, tc.stride, tc.workers), func(t *testing.T) {
			ids := positions(tc.n)
			scored := make([]bool, tc.n)
			for p := range scored {
				scored[p] = p%7 != 3 // some never-scored (BOS-like) positions
			}
			m := newRecorder(tc.context)
			res, err := Score(context.Background(), m, ids, scored, Options{Stride: tc.stride, Workers: tc.workers})
			if err != nil {
				t.Fatal(err)
			}
			s := tc.stride
			if s == 0 {
				s = tc.context
			}
			var want float64
			var tokens int
			for p := 1; p < tc.n; p++ {
				got := m.context[p]
				if !scored[p] {
					if got != nil {
						t.Errorf("unscored position %d was scored", p)
					}
					continue
				}
				wc := wantContext(p, tc.context, s)
				if len(got) != 1 || got[0] != wc {
					t.Errorf("target %d scored with contexts %v, want once with %d", p, got, wc)
				}
				want += recorderNLL(p, wc)
				tokens++
			}
			wantWindows := 1 + (max(0, tc.n-1-tc.context)+s-1)/s
			if res.Tokens != tokens || res.Windows != wantWindows || math.Abs(res.NLL-want) > 1e-9*want {
				t.Errorf("got %d tokens, %d windows, NLL %.12g; want %d, %d, %.12g", res.Tokens, res.Windows, res.NLL, tokens, wantWindows, want)
			}
		})
	}
}

// The sum is taken in window order, so the result is bit-for-bit the same
// for any number of workers.
func TestScoreDeterministic(t *testing.T) {
	ids := positions(5000)
	scored := slices.Repeat([]bool{true}, len(ids))
	var results []float64
	for _, w := range []int{1, 2, 7} {
		res, err := Score(context.Background(), newRecorder(50), ids, scored, Options{Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res.NLL)
	}
	if results[0] != results[1] || results[0] != results[2] {
		t.Errorf("NLL depends on the number of workers: %v", results)
	}
}

func TestStream(t *testing.T) {
	cases := []struct {
		name       string
		chunks     [][]int
		bos        int
		ids        []int
		scoredMask []bool
	}{
		{"bos", [][]int{{5, 6}, {7}}, 1, []int{1, 5, 6, 1, 7}, []bool{false, true, true, false, true}},
		{"no bos", [][]int{{5, 6}, {7}}, -1, []int{5, 6, 7}, []bool{true, true, true}},
		{"empty chunk", [][]int{{}, {7}}, 0, []int{0, 0, 7}, []bool{false, false, true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ids, scored := Stream(tc.chunks, tc.bos)
			if !slices.Equal(ids, tc.ids) || !slices.Equal(scored, tc.scoredMask) {
				t.Errorf("Stream = %v %v, want %v %v", ids, scored, tc.ids, tc.scoredMask)
			}
		})
	}
}

func TestScoreProgress(t *testing.T) {
	ids := positions(1000)
	scored := slices.Repeat([]bool{true}, len(ids))
	var calls []int
	total := -1
	opts := Options{Workers: 3, Progress: func(done, n int) {
		calls = append(calls, done) // calls never overlap: no lock needed
		total = n
	}}
	res, err := Score(context.Background(), newRecorder(100), ids, scored, opts)
	if err != nil {
		t.Fatal(err)
	}
	if total != res.Windows || !slices.Equal(calls, positions(res.Windows + 1)[1:]) {
		t.Errorf("progress calls %v of total %d, want 1…%d", calls, total, res.Windows)
	}
}

func TestScoreErrors(t *testing.T) {
	ids := positions(1000)
	scored := slices.Repeat([]bool{true}, len(ids))
	t.Run("model error", func(t *testing.T) {
		m := newRecorder(100)
		m.fail = 300
		_, err := Score(context.Background(), m, ids, scored, Options{Workers: 2})
		if err == nil || !strings.Contains(err.Error(), "window 3 ") {
			t.Errorf("err = %v, want the failing window named", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		m := newRecorder(10)
		_, err := Score(ctx, m, ids, scored, Options{Workers: 1, Progress: func(done, total int) {
			if done == 2 {
				cancel()
			}
		}})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
		if len(m.context) > 30 {
			t.Errorf("%d targets scored after cancelling at window 2 of 100", len(m.context))
		}
	})
	t.Run("default context capped", func(t *testing.T) {
		n := 2*MaxDefaultContext + 2 // targets 1 … n-1 need three windows of MaxDefaultContext
		m := newRecorder(1 << 20)
		res, err := Score(context.Background(), m, positions(n), slices.Repeat([]bool{true}, n), Options{})
		if err != nil || res.Windows != 3 || len(m.context[n-1]) != 1 || m.context[n-1][0] != 1 {
			t.Errorf("%d windows (err %v), want 3 of MaxDefaultContext ids", res.Windows, err)
		}
	})
	t.Run("stride beyond context", func(t *testing.T) {
		if _, err := Score(context.Background(), newRecorder(10), ids, scored, Options{Stride: 11}); err == nil {
			t.Error("no error for stride 11 > context 10")
		}
	})
	t.Run("mismatched flags", func(t *testing.T) {
		if _, err := Score(context.Background(), newRecorder(10), ids, scored[1:], Options{}); err == nil {
			t.Error("no error for 999 flags over 1000 ids")
		}
	})
	t.Run("nothing to score", func(t *testing.T) {
		_, err := Score(context.Background(), newRecorder(10), []int{1}, []bool{false}, Options{})
		if !errors.Is(err, ErrNothingToScore) {
			t.Errorf("err = %v, want ErrNothingToScore", err)
		}
	})
}
