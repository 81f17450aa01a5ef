package cooc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"sync"

	"github.com/transplant-dev/transplant/tokenizer"
)

// Defaults for CountOptions fields left at zero.
const (
	DefaultWindow   = 2
	DefaultMaxPairs = 1 << 25
)

// Sentinel errors callers can branch on with errors.Is.
var (
	// ErrNoCooccurrence reports a text in which no two tokens of the
	// tokenizer (special and unknown tokens aside) occur within a window
	// of each other, or, from Vectors, in which no two tokens frequent
	// enough to get a vector do: there is nothing to build vectors from.
	ErrNoCooccurrence = errors.New("no two tokens of the tokenizer co-occur in the text")
	// ErrOptions reports an option out of range.
	ErrOptions = errors.New("bad options")
)

// batchBytes is how much text Count encodes and counts at a time. Pruning
// happens only between batches, so results depend on it (and not on the
// number of cores); memory may pass CountOptions.MaxPairs by the new pairs
// of one batch.
const batchBytes = 1 << 20

// CountOptions tune Count. The zero value asks for the defaults.
type CountOptions struct {
	// Window is how many tokens on each side of a token count as its
	// context. A context d tokens away weighs (Window+1−d)/Window, the
	// expected weight of word2vec's dynamic window. Zero means
	// DefaultWindow.
	Window int

	// MaxPairs bounds the distinct token pairs held in memory, at 8 to 21
	// bytes each (about 14 on average). Whenever a batch of text leaves
	// more, the rarest pairs are dropped until at most three quarters of
	// MaxPairs remain, or after the last batch MaxPairs (see
	// Counts.PruneFloor). Zero means DefaultMaxPairs.
	MaxPairs int

	// Progress, if set, is called from one goroutine with the number of
	// bytes of text counted so far.
	Progress func(bytes int64) `json:"-"`
}

func (o CountOptions) resolved() (CountOptions, error) {
	if o.Window == 0 {
		o.Window = DefaultWindow
	}
	if o.MaxPairs == 0 {
		o.MaxPairs = DefaultMaxPairs
	}
	if o.Window < 1 || o.Window > 1<<16 {
		return o, fmt.Errorf("cooc: Window = %d: %w", o.Window, ErrOptions)
	}
	if o.MaxPairs < 1 {
		return o, fmt.Errorf("cooc: MaxPairs = %d: %w", o.MaxPairs, ErrOptions)
	}
	return o, nil
}

// Counts holds the co-occurrence statistics of a text in one tokenizer's
// ids.
//
// Two tokens co-occur when at most Window tokens apart within one chunk
// of the text (chunks end at blank lines). Each such occurrence adds
// (Window+1−d)/Window to the pair, d being the distance. The matrix is
// symmetric: a pair (a, b) counts for (a, b) and for (b, a), so a token
// next to itself adds twice to its diagonal entry. Special tokens and the
// unknown token take their place in windows but are not counted.
type Counts struct {
	// Window is the window the counts were made with.
	Window int
	// Bytes is the length of the text (a byte order mark aside), Tokens
	// the number of tokens it encodes to (special tokens included).
	Bytes, Tokens int64
	// Occurrences is indexed by token id: how many times each token
	// occurs in the text.
	Occurrences []int64
	// PruneFloor is the largest weighted count below which pairs were
	// dropped to keep within MaxPairs, 0 if none was; Prunings is how
	// many times that happened. A pair that comes back after being
	// dropped counts from zero again.
	PruneFloor float64
	Prunings   int

	skip    []bool      // by id: special or unknown, never counted
	mass    []uint64    // by id: row sum of the matrix, in units of 1/Window
	rows    []pairTable // by id a: partners b ≥ a, in units of 1/Window
	pairs   int
	owner   []uint8 // by id: the worker that counts it
	workers int     // the number of workers owner is for
}

// maxWorkers bounds the goroutines that count; owners are bytes.
const maxWorkers = 64

// Count reads text, encodes it with tok chunk by chunk (no special tokens
// added) and counts which tokens co-occur. The text must be UTF-8; the
// first ill-formed byte stops it with an *EncodingError (ErrNotUTF8). A
// text in which no two counted tokens co-occur is ErrNoCooccurrence.
//
// The counts do not depend on the number of cores.
func Count(ctx context.Context, tok *tokenizer.Tokenizer, text io.Reader, opts CountOptions) (*Counts, error) {
	return count(ctx, tok, text, opts, batchBytes)
}

// count is Count with text encoded and counted batchBytes at a time.
func count(ctx context.Context, tok *tokenizer.Tokenizer, text io.Reader, opts CountOptions, batchBytes int) (*Counts, error) {
	opts, err := opts.resolved()
	if err != nil {
		return nil, err
	}
	c := newCounts(tok, opts.Window)
	ch := newChunker(text, maxChunk)
	var batch []string
	size := 0
	flush := func(last bool) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.add(tok.EncodeBatch(batch, false))
		// Prune to leave room for the batches to come, or, after the last,
		// just enough to keep the bound.
		if c.pairs > opts.MaxPairs {
			target := opts.MaxPairs - opts.MaxPairs/4
			if last {
				target = opts.MaxPairs
			}
			c.prune(target)
		}
		batch, size = batch[:0], 0
		if opts.Progress != nil {
			opts.Progress(c.Bytes)
		}
		return nil
	}
	for {
		s, err := ch.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		batch = append(batch, s)
		size += len(s)
		c.Bytes += int64(len(s))
		if size >= batchBytes {
			if err := flush(false); err != nil {
				return nil, err
			}
		}
	}
	if err := flush(true); err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(c.mass, func(m uint64) bool { return m > 0 }) {
		return nil, fmt.Errorf("cooc: %w (%d tokens in %d bytes)", ErrNoCooccurrence, c.Tokens, c.Bytes)
	}
	return c, nil
}

func newCounts(tok *tokenizer.Tokenizer, window int) *Counts {
	n := tok.VocabSize()
	c := &Counts{
		Window:      window,
		Occurrences: make([]int64, n),
		skip:        make([]bool, n),
		mass:        make([]uint64, n),
		rows:        make([]pairTable, n),
	}
	sp := tok.Specials()
	for _, id := range append(sp.IDs, sp.UNK) {
		if id >= 0 && id < n {
			c.skip[id] = true
		}
	}
	return c
}

// add counts a batch of encoded chunks, each worker updating the rows,
// masses and occurrences of the ids it owns.
func (c *Counts) add(seqs [][]int) {
	workers := min(runtime.GOMAXPROCS(0), maxWorkers)
	if c.workers != workers {
		c.workers = workers
		c.owner = make([]uint8, len(c.rows))
		for id := range c.owner {
			c.owner[id] = uint8(id % workers)
		}
	}
	newPairs := make([]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { newPairs[w] = c.countShard(seqs, uint8(w)) })
	}
	wg.Wait()
	for _, seq := range seqs {
		c.Tokens += int64(len(seq))
	}
	for _, n := range newPairs {
		c.pairs += n
	}
}

// countShard does the part of a batch that falls to worker w: the
// occurrences and masses of the ids it owns, and the pairs whose smaller
// id it owns. It returns the number of new pairs.
func (c *Counts) countShard(seqs [][]int, w uint8) int {
	owner := c.owner
	window := c.Window
	added := 0
	for _, seq := range seqs {
		for i, a := range seq {
			if owner[a] == w {
				c.Occurrences[a]++
			}
			if c.skip[a] {
				continue
			}
			for j := i + 1; j < min(i+window+1, len(seq)); j++ {
				b := seq[j]
				if c.skip[b] {
					continue
				}
				wt := uint64(window + 1 - (j - i))
				if owner[a] == w {
					c.mass[a] += wt
				}
				if owner[b] == w {
					c.mass[b] += wt
				}
				lo, hi := min(a, b), max(a, b)
				if owner[lo] == w && c.rows[lo].add(uint32(hi), uint32(wt)) {
					added++
				}
			}
		}
	}
	return added
}

// prune drops the pairs with the smallest counts so that at most target
// remain: it finds the smallest floor that leaves few enough.
func (c *Counts) prune(target int) {
	workers := c.workers
	hist := c.countHistogram(workers)
	floor, left := uint32(math.MaxUint32), 0
	for f := len(hist) - 1; f >= 1; f-- {
		if left+hist[f] > target {
			break
		}
		left += hist[f]
		floor = histFloor(f)
	}
	dropped := make([]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for a := w; a < len(c.rows); a += workers {
				dropped[w] += c.rows[a].prune(floor)
			}
		})
	}
	wg.Wait()
	for _, d := range dropped {
		c.pairs -= d
	}
	c.Prunings++
	c.PruneFloor = max(c.PruneFloor, float64(floor)/float64(c.Window))
}

// exactBuckets is how many small counts the pruning histogram tells
// apart; larger ones go into one bucket per power of two.
const exactBuckets = 1 << 12

func histBucket(count uint32) int {
	if count < exactBuckets {
		return int(count)
	}
	return exactBuckets + bits.Len32(count) - bits.Len32(exactBuckets)
}

// histFloor is the smallest count in bucket b.
func histFloor(b int) uint32 {
	if b < exactBuckets {
		return uint32(b)
	}
	return exactBuckets << (b - exactBuckets)
}

func (c *Counts) countHistogram(workers int) []int {
	size := histBucket(math.MaxUint32) + 1
	parts := make([][]int, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			h := make([]int, size)
			for a := w; a < len(c.rows); a += workers {
				c.rows[a].each(func(_ int, n uint32) { h[histBucket(n)]++ })
			}
			parts[w] = h
		})
	}
	wg.Wait()
	hist := make([]int, size)
	for _, h := range parts {
		for i, n := range h {
			hist[i] += n
		}
	}
	return hist
}

// Pairs returns the number of distinct unordered pairs held.
func (c *Counts) Pairs() int { return c.pairs }

// Occurring returns how many ids of the tokenizer, special and unknown
// tokens aside, occur in the text.
func (c *Counts) Occurring() int {
	n := 0
	for id, k := range c.Occurrences {
		if k > 0 && !c.skip[id] {
			n++
		}
	}
	return n
}

// Cooccurrence returns the weighted count of the pair (a, b): the sum,
// over the times a and b occur d ≤ Window tokens apart, of
// (Window+1−d)/Window, doubled when a = b.
func (c *Counts) Cooccurrence(a, b int) float64 {
	if !c.valid(a) || !c.valid(b) {
		return 0
	}
	lo, hi := min(a, b), max(a, b)
	n := float64(c.rows[lo].get(uint32(hi)))
	if a == b {
		n *= 2
	}
	return n / float64(c.Window)
}

// Mass returns the row sum of token a's co-occurrences, pruned pairs
// included: the weight of all contexts it was seen in.
func (c *Counts) Mass(a int) float64 {
	if !c.valid(a) {
		return 0
	}
	return float64(c.mass[a]) / float64(c.Window)
}

func (c *Counts) valid(id int) bool { return id >= 0 && id < len(c.rows) }
