package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// MaxDefaultContext caps the default window: models with contexts of 32k
// ids and more would otherwise need quadratic attention over windows no CPU
// scores in reasonable time. Options.Context can ask for more.
const MaxDefaultContext = 2048

// ErrNothingToScore is returned when the text yields no token to score.
var ErrNothingToScore = errors.New("eval: nothing to score")

// A LanguageModel gives next-token negative log-likelihoods over a window;
// *forward.Model is one.
type LanguageModel interface {
	// Context is the longest window the model takes.
	Context() int
	// NLL runs one window of ids (positions 0, 1, …) and sets dst[i] to
	// -log p(targets[i] | ids[:i+1]) in nats, skipping negative targets.
	// It must be safe for concurrent use.
	NLL(dst []float64, ids, targets []int) error
}

// Options say how to window and score an id stream. The zero value is the
// protocol of the project's reference numbers: windows as long as the
// model's context, not overlapping, on all cores.
type Options struct {
	// Context is the number of ids a window holds; 0 means the model's
	// Context(), capped at MaxDefaultContext.
	Context int
	// Stride is the distance between window starts, at most Context; 0
	// means Context. A smaller stride gives every scored token at least
	// Context-Stride ids of left context, at the price of more windows.
	Stride int
	// Workers is the number of windows scored at once; 0 means
	// runtime.GOMAXPROCS(0). Each worker's matrix products run on its own
	// goroutine: with the openblas build, OpenBLAS's own threads should be
	// off (OPENBLAS_NUM_THREADS=1), or the two kinds of parallelism fight
	// over the cores.
	Workers int
	// ChunkBytes is the largest chunk BitsPerByte cuts the text into; 0
	// means DefaultChunkBytes.
	ChunkBytes int
	// Progress, when set, is called after each window with the number of
	// windows done and their total; calls never overlap.
	Progress func(done, total int)
}

// Result is the outcome of scoring.
type Result struct {
	NLL     float64 // total negative log-likelihood of the scored tokens, in nats
	Tokens  int     // tokens scored
	Bytes   int     // UTF-8 bytes of the text; 0 from Score
	Windows int     // forward passes run
}

// Bits is the total negative log-likelihood in bits.
func (r Result) Bits() float64 { return r.NLL / math.Ln2 }

// BitsPerByte is Bits over Bytes: comparable between models whose
// tokenizers cut the same text into different numbers of tokens.
func (r Result) BitsPerByte() float64 { return r.Bits() / float64(r.Bytes) }

// BitsPerToken is Bits over Tokens; it depends on the tokenizer.
func (r Result) BitsPerToken() float64 { return r.Bits() / float64(r.Tokens) }

// Stream concatenates encoded chunks into one id stream, each chunk preceded
// by bos (none when bos < 0), and marks the positions whose token is scored:
// every position but the BOS ones.
func Stream(chunks [][]int, bos int) (ids []int, scored []bool) {
	for _, c := range chunks {
		if bos >= 0 {
			ids = append(ids, bos)
			scored = append(scored, false)
		}
		ids = append(ids, c...)
		for range c {
			scored = append(scored, true)
		}
	}
	return ids, scored
}

// BitsPerByte scores text under m by the project's protocol: the text is cut
// into Chunks of at most opts.ChunkBytes, encode turns the chunks into ids
// (no special tokens; e.g. a tokenizer's EncodeBatch), each chunk gets a
// leading bos (none when bos < 0), and the stream is scored as by Score.
// Result.Bytes is len(text).
func BitsPerByte(ctx context.Context, m LanguageModel, text []byte, encode func(chunks []string) [][]int, bos int, opts Options) (Result, error) {
	res, _, err := bitsPerByte(ctx, m, text, encode, bos, opts, false)
	return res, err
}

// Targets is a scored id stream, position by position: what a score is
// made of, for splitting it (see Splitter).
type Targets struct {
	IDs []int
	// Scored marks the positions whose token was scored: all but position
	// 0 and the BOS ids Stream puts before each chunk.
	Scored []bool
	// NLL is each scored target's negative log-likelihood in nats, and 0 at
	// the other positions.
	NLL []float64
	// Ends is, position by position, the byte offset in the text at which
	// the token's bytes end, -1 at a BOS; nil unless Locate found them.
	Ends []int
}

// BitsPerByteTargets is BitsPerByte that also returns the id stream it
// scored with every target's negative log-likelihood.
func BitsPerByteTargets(ctx context.Context, m LanguageModel, text []byte, encode func(chunks []string) [][]int, bos int, opts Options) (Result, Targets, error) {
	return bitsPerByte(ctx, m, text, encode, bos, opts, true)
}

func bitsPerByte(ctx context.Context, m LanguageModel, text []byte, encode func(chunks []string) [][]int, bos int, opts Options, keep bool) (Result, Targets, error) {
	chunks, strs := chunksOf(text, opts)
	enc := encode(strs)
	if len(enc) != len(chunks) {
		return Result{}, Targets{}, fmt.Errorf("eval: encoder returned %d id lists for %d chunks", len(enc), len(chunks))
	}
	ids, scored := Stream(enc, bos)
	if len(scored) > 0 {
		scored[0] = false // Score never scores the first id: nothing predicts it
	}
	var t Targets
	if keep {
		t = Targets{IDs: ids, Scored: scored, NLL: make([]float64, len(ids))}
	}
	res, err := ScoreTargets(ctx, t.NLL, m, ids, scored, opts)
	res.Bytes = len(text)
	return res, t, err
}

// chunksOf cuts text as the protocol does (Chunks, at most
// opts.ChunkBytes), as bytes and as strings for an encoder.
func chunksOf(text []byte, opts Options) ([][]byte, []string) {
	size := opts.ChunkBytes
	if size <= 0 {
		size = DefaultChunkBytes
	}
	chunks := Chunks(text, size)
	strs := make([]string, len(chunks))
	for i, c := range chunks {
		strs[i] = string(c)
	}
	return chunks, strs
}

// Score runs m over ids in windows and sums the negative log-likelihood of
// every position i > 0 with scored[i]. Window k starts at k·Stride, holds up
// to Context ids and scores only targets no earlier window reached, so each
// target is scored once, given up to Context ids before it. Windows run on
// opts.Workers goroutines; the sum is taken in window order, so the result
// does not depend on scheduling. Cancelling ctx stops the work between
// windows.
func Score(ctx context.Context, m LanguageModel, ids []int, scored []bool, opts Options) (Result, error) {
	return ScoreTargets(ctx, nil, m, ids, scored, opts)
}

// ScoreTargets is Score that also keeps every target's negative
// log-likelihood: it sets dst[i], in nats, for each position i it scores,
// and dst[i] = 0 for the others. dst must be nil (keep nothing, as Score)
// or as long as ids; after an error its contents are unspecified.
func ScoreTargets(ctx context.Context, dst []float64, m LanguageModel, ids []int, scored []bool, opts Options) (Result, error) {
	if len(scored) != len(ids) {
		return Result{}, fmt.Errorf("eval: %d ids but %d scored flags", len(ids), len(scored))
	}
	if dst != nil && len(dst) != len(ids) {
		return Result{}, fmt.Errorf("eval: %d ids but room for %d negative log-likelihoods", len(ids), len(dst))
	}
	clear(dst)
	ctxLen, stride, err := windowing(m, opts)
	if err != nil {
		return Result{}, err
	}
	ws := plan(len(ids), ctxLen, stride)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, len(ws))

	s := &scoring{m: m, ids: ids, scored: scored, windows: ws, targetNLL: dst, progress: opts.Progress}
	s.nll = make([]float64, len(ws))
	s.count = make([]int, len(ws))
	// A failing window cancels work, so the other workers stop early too.
	work, stop := context.WithCancel(ctx)
	defer stop()
	jobs := make(chan int)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			if errs[w] = s.worker(work, jobs, ctxLen); errs[w] != nil {
				stop()
			}
		})
	}
feed:
	for k := range ws {
		select {
		case jobs <- k:
		case <-work.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return Result{}, err
	}
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("eval: %w", err)
	}
	res := Result{Windows: len(ws)}
	for k := range ws {
		res.NLL += s.nll[k]
		res.Tokens += s.count[k]
	}
	if res.Tokens == 0 {
		return res, ErrNothingToScore
	}
	return res, nil
}

func windowing(m LanguageModel, opts Options) (ctxLen, stride int, err error) {
	ctxLen = opts.Context
	if ctxLen <= 0 {
		ctxLen = min(m.Context(), MaxDefaultContext)
	}
	stride = opts.Stride
	if stride <= 0 {
		stride = ctxLen
	}
	if ctxLen <= 0 || stride > ctxLen {
		return 0, 0, fmt.Errorf("eval: context %d, stride %d: need 0 < stride ≤ context", ctxLen, stride)
	}
	return ctxLen, stride, nil
}

// A window is one forward pass: inputs ids[start:start+n], targets
// ids[start+1:start+n+1], of which the first skip were scored by earlier
// windows.
type window struct{ start, n, skip int }

// plan lays windows of up to ctxLen ids stride apart over a stream of n ids
// until every target (positions 1 … n-1) is covered.
func plan(n, ctxLen, stride int) []window {
	var ws []window
	covered := 0 // targets 1 … covered are scored by earlier windows
	for start := 0; covered < n-1; start += stride {
		w := window{start: start, n: min(ctxLen, n-1-start), skip: covered - start}
		ws = append(ws, w)
		covered = start + w.n
	}
	return ws
}

// scoring is the state Score shares with its workers.
type scoring struct {
	m       LanguageModel
	ids     []int
	scored  []bool
	windows []window
	nll     []float64 // per window
	count   []int     // per window
	// targetNLL, when not nil, gets each target's NLL; windows score
	// disjoint targets, so workers write it without a lock.
	targetNLL []float64
	progress  func(done, total int)
	mu        sync.Mutex // guards done and calls to progress
	done      int
}

func (s *scoring) worker(ctx context.Context, jobs <-chan int, ctxLen int) error {
	targets := make([]int, ctxLen)
	dst := make([]float64, ctxLen)
	for k := range jobs {
		if ctx.Err() != nil {
			continue // drain, so the feeder never blocks
		}
		w := s.windows[k]
		for i := range w.n {
			t := w.start + i + 1
			targets[i] = -1
			if i >= w.skip && s.scored[t] {
				targets[i] = s.ids[t]
			}
		}
		if err := s.m.NLL(dst[:w.n], s.ids[w.start:w.start+w.n], targets[:w.n]); err != nil {
			return fmt.Errorf("eval: window %d (ids %d–%d): %w", k, w.start, w.start+w.n, err)
		}
		for i := range w.n {
			if targets[i] >= 0 {
				s.nll[k] += dst[i]
				s.count[k]++
				if s.targetNLL != nil {
					s.targetNLL[w.start+i+1] = dst[i]
				}
			}
		}
		s.mu.Lock()
		s.done++
		if s.progress != nil {
			s.progress(s.done, len(s.windows))
		}
		s.mu.Unlock()
	}
	return nil
}
