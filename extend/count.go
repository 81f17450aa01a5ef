package extend

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"unicode/utf8"

	"github.com/transplant-dev/transplant/internal/utf8text"
	"github.com/transplant-dev/transplant/tokenizer"
)

// chunkSize is the most bytes of corpus encoded at once. Chunks end at a
// line break when there is one, so that only lines longer than this are
// cut, at a character boundary.
const chunkSize = 64 << 10

// wordCounts is what counting a corpus yields: how often each key occurred.
type wordCounts struct {
	counts map[string]int64
	stats  Stats
}

// chunk is a piece of corpus and its place in the stream.
type chunk struct {
	seq  int
	text []byte
}

// chunkCounts are the counts of one chunk, in first-seen order.
type chunkCounts struct {
	seq    int
	keys   []string
	counts []int64
	words  int64
	tokens int64
	bytes  int64
}

// countCorpus reads r in chunks, encodes each with the base tokenizer on
// every core, and counts the keys learner.key gives each word. Chunks are
// merged in corpus order, so that pruning, and with it the result, does not
// depend on the number of cores.
func countCorpus(ctx context.Context, tok *tokenizer.Tokenizer, r io.Reader, key func([][]byte, []byte, []int) [][]byte, opts Options) (*wordCounts, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	workers := runtime.GOMAXPROCS(0)
	chunks := make(chan chunk, workers)
	results := make(chan chunkCounts, workers)

	go func() {
		defer close(chunks)
		if err := readChunks(ctx, r, chunks); err != nil {
			cancel(err)
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for c := range chunks {
				res := countChunk(tok, c, key)
				select {
				case results <- res:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		wg.Wait()
		close(results)
	}()

	wc := &wordCounts{counts: make(map[string]int64), stats: Stats{Candidates: -1}}
	maxWords := opts.maxWords()
	pending := map[int]chunkCounts{}
	next := 0
	for res := range results {
		pending[res.seq] = res
		for {
			c, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			wc.add(c, maxWords)
			progress(opts, Counting, wc.stats.Bytes, 0)
		}
	}
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	wc.stats.DistinctWords = len(wc.counts)
	return wc, nil
}

// add merges the counts of one chunk and prunes the table when it holds
// more than maxWords keys: keys counted p times or fewer are dropped, with
// p doubled until a quarter of the room is free again.
func (wc *wordCounts) add(c chunkCounts, maxWords int) {
	for i, k := range c.keys {
		wc.counts[k] += c.counts[i]
	}
	wc.stats.Words += c.words
	wc.stats.TokensBefore += c.tokens
	wc.stats.Bytes += c.bytes
	if len(wc.counts) <= maxWords {
		return
	}
	p := max(wc.stats.Pruned, 1)
	for {
		for k, n := range wc.counts {
			if n <= p {
				delete(wc.counts, k)
			}
		}
		wc.stats.Pruned = p
		if len(wc.counts) <= maxWords-maxWords/4 {
			return
		}
		p *= 2
	}
}

func countChunk(tok *tokenizer.Tokenizer, c chunk, key func([][]byte, []byte, []int) [][]byte) chunkCounts {
	res := chunkCounts{seq: c.seq, bytes: int64(len(c.text))}
	index := make(map[string]int)
	var keys [][]byte
	tok.EncodeWords(string(c.text), func(word []byte, ids []int) {
		res.tokens += int64(len(ids))
		if word == nil {
			return
		}
		res.words++
		keys = key(keys[:0], word, ids)
		for _, k := range keys {
			if i, ok := index[string(k)]; ok {
				res.counts[i]++
				continue
			}
			s := string(k)
			index[s] = len(res.keys)
			res.keys = append(res.keys, s)
			res.counts = append(res.counts, 1)
		}
	})
	return res
}

// readChunks cuts r into chunks, checking that the text is UTF-8.
func readChunks(ctx context.Context, r io.Reader, out chan<- chunk) error {
	buf := make([]byte, chunkSize)
	n := 0        // bytes in buf
	var off int64 // corpus offset of buf[0]
	eof := false
	for seq := 0; ; seq++ {
		for n < len(buf) && !eof {
			m, err := r.Read(buf[n:])
			n += m
			if errors.Is(err, io.EOF) {
				eof = true
			} else if err != nil {
				return fmt.Errorf("extend: reading the corpus: %w", err)
			}
		}
		if n == 0 {
			return nil
		}
		cut := n
		if !eof {
			cut = chunkEnd(buf[:n])
		}
		text := bytes.Clone(buf[:cut])
		if i := utf8text.FirstInvalid(text); i >= 0 {
			return &CorpusError{Offset: off + int64(i)}
		}
		select {
		case out <- chunk{seq: seq, text: text}:
		case <-ctx.Done():
			return nil
		}
		copy(buf, buf[cut:n])
		n -= cut
		off += int64(cut)
	}
}

// chunkEnd returns where to end a chunk of the full buffer b: after its
// last line break, else before its last character (which may be
// incomplete).
func chunkEnd(b []byte) int {
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return i + 1
	}
	for i := len(b) - 1; i > 0; i-- {
		if utf8.RuneStart(b[i]) {
			return i
		}
	}
	return len(b)
}
