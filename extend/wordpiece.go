package extend

import (
	"cmp"
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/transplant-dev/transplant/tokenizer"
)

// WordPiece: whole words. A word the base cuts into several pieces
// becomes a token of its own, the words saving the most tokens first. The
// new tokens are word-initial (no "##"): WordPiece matches the longest
// vocabulary prefix of a word, so a new token also becomes the first piece
// of the longer words it begins, which the final count measures; a word
// that would then end in an unknown token makes the new token that
// caused it be dropped. Words beginning with the continuing-subword prefix
// are not candidates (they would read as continuations).

type wordPieceLearner struct {
	base *Base
	tok  *tokenizer.Tokenizer
}

func newWordPieceLearner(b *Base) *wordPieceLearner { return &wordPieceLearner{base: b, tok: b.tok} }

func (l *wordPieceLearner) key(dst [][]byte, word []byte, _ []int) [][]byte {
	var k []byte
	dst, k = nextBuf(dst)
	dst[len(dst)-1] = append(k, word...)
	return dst
}

type countedWord struct {
	text  string
	count int64
	ids   []int32
}

func (l *wordPieceLearner) learn(ctx context.Context, wc *wordCounts, opts Options, ext *Extension) error {
	words := wordsOf(wc)
	base, err := encodeAll(ctx, l.tok, words)
	if err != nil {
		return err
	}
	for i := range words {
		words[i].ids = base[i]
	}
	unk := l.unk()
	prefix := l.base.model.prefix
	type cand struct {
		w     *countedWord
		saved int64
	}
	var cands []cand
	for i := range words {
		w := &words[i]
		if len(w.ids) < 2 || w.count < opts.minFrequency() || slices.Contains(w.ids, unk) || strings.HasPrefix(w.text, prefix) {
			continue
		}
		if _, ok := l.tok.ID(w.text); ok {
			continue
		}
		cands = append(cands, cand{w, int64(len(w.ids)-1) * w.count})
	}
	ext.Stats.Candidates = len(cands)
	slices.SortFunc(cands, func(x, y cand) int {
		if c := cmp.Compare(y.saved, x.saved); c != 0 {
			return c
		}
		return strings.Compare(x.w.text, y.w.text)
	})
	dropped := map[string]bool{}
	for {
		ext.Tokens = ext.Tokens[:0]
		for _, c := range cands {
			if len(ext.Tokens) == opts.Add {
				break
			}
			if dropped[c.w.text] {
				continue
			}
			t := Token{ID: ext.FirstID + len(ext.Tokens), Spelling: c.w.text, Pieces: intsOf32(c.w.ids), Frequency: c.w.count, Saved: c.saved}
			for _, id := range t.Pieces {
				t.Bytes = append(t.Bytes, l.tok.Surface(id).Bytes...)
			}
			ext.Tokens = append(ext.Tokens, t)
		}
		progress(opts, Learning, int64(len(ext.Tokens)), int64(opts.Add))
		after, err := ext.Tokenizer()
		if err != nil {
			return err
		}
		ids, err := encodeAll(ctx, after, words)
		if err != nil {
			return err
		}
		newUnk := false
		var delta int64
		for i, w := range words {
			delta += int64(len(ids[i])-len(w.ids)) * w.count
			if slices.Contains(ids[i], unk) && !slices.Contains(w.ids, unk) {
				if t := longestPrefix(ext.Tokens, w.text); t != "" {
					dropped[t] = true
					newUnk = true
				}
			}
		}
		if !newUnk {
			ext.Stats.TokensAfter = ext.Stats.TokensBefore + delta
			ext.Stats.DistinctWords = len(words)
			return nil
		}
	}
}

// unk returns the id of the unknown token, or -1.
func (l *wordPieceLearner) unk() int32 {
	if u := l.tok.Specials().UNK; u >= 0 {
		return int32(u)
	}
	return -1
}

// longestPrefix returns the spelling of the longest token that begins s.
func longestPrefix(tokens []Token, s string) string {
	best := ""
	for _, t := range tokens {
		if len(t.Spelling) > len(best) && strings.HasPrefix(s, t.Spelling) {
			best = t.Spelling
		}
	}
	return best
}

func intsOf32(ids []int32) []int {
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = int(id)
	}
	return out
}

// wordsOf lists the counted words.
func wordsOf(wc *wordCounts) []countedWord {
	words := make([]countedWord, 0, len(wc.counts))
	for k, n := range wc.counts {
		words = append(words, countedWord{text: k, count: n})
	}
	// Map order is random; a fixed order keeps everything after it
	// reproducible.
	slices.SortFunc(words, func(x, y countedWord) int { return strings.Compare(x.text, y.text) })
	return words
}

// encodeAll returns the ids tok gives every word, on all cores.
func encodeAll(ctx context.Context, tok *tokenizer.Tokenizer, words []countedWord) ([][]int32, error) {
	out := make([][]int32, len(words))
	workers := runtime.GOMAXPROCS(0)
	var next atomic.Int64
	const batch = 1024
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				lo := int(next.Add(batch)) - batch
				if lo >= len(words) {
					return
				}
				for i := lo; i < min(lo+batch, len(words)); i++ {
					ids := tok.EncodeWord(words[i].text)
					out[i] = make([]int32, len(ids))
					for j, id := range ids {
						out[i][j] = int32(id)
					}
				}
			}
		})
	}
	wg.Wait()
	return out, ctx.Err()
}
