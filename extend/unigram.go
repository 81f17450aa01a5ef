package extend

import (
	"cmp"
	"context"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/transplant-dev/transplant/tokenizer"
)

// Unigram: pieces made of two pieces that stand side by side in the
// segmentation of the corpus, the most frequent pairs first, learned in
// rounds: each round adds the best pairs, rebuilds the tokenizer and
// encodes every word again, so counts always come from the real Viterbi
// segmentation.
//
// A new piece p = a b found f times among the corpus's T tokens scores
//
//	max(ln(f/T), score(a) + score(b) + scoreMargin, min score of the base)
//
// The first term is what unigram training estimates for a piece of that
// frequency, and it usually decides; the second makes p beat, by a
// margin, the two pieces it replaces, so the Viterbi picks p wherever a
// and b stood side by side and nothing better crosses them; the third
// keeps the base's lowest score, from which the unknown-token score is
// taken, unchanged, so text without the new pieces encodes as before.
// Scores are rounded up to a multiple of 1/256 (see dyadic).
// After the last round every new piece must encode its own text alone as
// itself; a piece that does not has its score raised just above the
// pieces that won, shortest pieces first, until all do.

// scoreMargin is how far a new piece scores above the pair it replaces.
const scoreMargin = 0.1

// dyadic rounds a score up to a multiple of 1/256. Such a number has a
// short decimal form that every JSON reader turns into the same float64
// (the reference's serde_json does not round every long one correctly),
// and sums of them are exact; so where two segmentations tie, they tie in
// the reference as here, and the same rule breaks the tie.
func dyadic(x float64) float64 { return math.Ceil(x*256) / 256 }

// unigramRounds is the number of rounds the new pieces are learned in.
const unigramRounds = 8

// unigramPasses bounds how often pieces that ended up unused are dropped
// and replaced.
const unigramPasses = 4

type unigramLearner struct {
	base  *Base
	tok   *tokenizer.Tokenizer
	m     *baseModel
	mark  string
	first int
	// eligible reports whether an old id may be half of a new piece.
	eligible []bool
	style    style
}

func newUnigramLearner(b *Base, first int, opts Options) *unigramLearner {
	l := &unigramLearner{base: b, tok: b.tok, m: &b.model, mark: spaceMark(b.tok), first: first, style: inferStyle(b.tok, opts)}
	added := map[int]bool{}
	for _, a := range b.tok.AddedTokens() {
		added[a.ID] = true
	}
	l.eligible = make([]bool, len(b.model.pieces))
	for id := range l.eligible {
		s := b.tok.Surface(id)
		l.eligible[id] = id != b.model.unkID && !added[id] && !s.Special && !s.ByteFallback && !s.Unused
	}
	return l
}

func (l *unigramLearner) key(dst [][]byte, word []byte, _ []int) [][]byte {
	var k []byte
	dst, k = nextBuf(dst)
	dst[len(dst)-1] = append(k, word...)
	return dst
}

func (l *unigramLearner) learn(ctx context.Context, wc *wordCounts, opts Options, ext *Extension) error {
	words := wordsOf(wc)
	wc.counts = nil
	cur := l.tok
	// encode segments every word with cur; rebuild makes cur the
	// tokenizer of the pieces so far.
	encode := func() error {
		ids, err := encodeAll(ctx, cur, words)
		for i := range words {
			words[i].ids = ids[i]
		}
		return err
	}
	rebuild := func() (err error) {
		cur, err = ext.Tokenizer()
		return err
	}
	if err := encode(); err != nil {
		return err
	}
	before := make([]int, len(words))
	for i, w := range words {
		before[i] = len(w.ids)
	}
	perRound := max(1, (opts.Add+unigramRounds-1)/unigramRounds)
	bySpelling := map[string]int{} // new pieces, index in ext.Tokens
	rejected := map[string]bool{}  // pieces dropped for never being used
	for range unigramPasses {
		grew := false
		for len(ext.Tokens) < opts.Add {
			n := l.round(words, ext, bySpelling, rejected, min(perRound, opts.Add-len(ext.Tokens)), opts.minFrequency())
			if n == 0 {
				break
			}
			grew = true
			if err := rebuild(); err != nil {
				return err
			}
			if err := encode(); err != nil {
				return err
			}
			progress(opts, Learning, int64(len(ext.Tokens)), int64(opts.Add))
		}
		changed, err := l.makeReachable(ext, &cur)
		if err != nil {
			return err
		}
		if changed {
			if err := encode(); err != nil {
				return err
			}
		}
		// A piece the Viterbi never picks on the corpus (later pieces won
		// its places) saves nothing: drop it and learn another instead.
		if !l.dropUnused(words, ext, bySpelling, rejected) {
			break
		}
		if err := rebuild(); err != nil {
			return err
		}
		if !grew {
			break
		}
	}
	ext.Stats.TokensAfter = ext.Stats.TokensBefore
	for i, w := range words {
		ext.Stats.TokensAfter += int64(len(w.ids)-before[i]) * w.count
	}
	ext.Stats.DistinctWords = len(words)
	return nil
}

// round adds up to n new pieces, the most frequent allowed pairs of the
// words' current segmentation; it returns how many it added.
func (l *unigramLearner) round(words []countedWord, ext *Extension, bySpelling map[string]int, rejected map[string]bool, n int, minFreq int64) int {
	pairs := map[uint64]int64{}
	var total int64
	for _, w := range words {
		total += int64(len(w.ids)) * w.count
		for i := 0; i+1 < len(w.ids); i++ {
			a, b := w.ids[i], w.ids[i+1]
			if l.canJoin(a, ext) && l.canJoin(b, ext) {
				pairs[pairKey(a, b)] += w.count
			}
		}
	}
	type cand struct {
		spelling string
		a, b     int32
		count    int64
	}
	best := map[string]cand{} // by spelling: two pairs may spell one piece
	for k, c := range pairs {
		if c < minFreq {
			continue
		}
		a, b := splitKey(k)
		s := l.spell(a, ext) + l.spell(b, ext)
		if !markOnlyFirst(s, l.mark) || !l.style.allows(slices.Concat(l.bytes(a, ext), l.bytes(b, ext))) {
			continue
		}
		if _, old := l.tok.ID(s); old {
			continue
		}
		if _, dup := bySpelling[s]; dup || rejected[s] {
			continue
		}
		if prev, ok := best[s]; ok && (prev.count > c || (prev.count == c && pairKey(prev.a, prev.b) < k)) {
			continue
		}
		best[s] = cand{s, a, b, c}
	}
	cands := slices.Collect(maps.Values(best))
	slices.SortFunc(cands, func(x, y cand) int {
		if c := cmp.Compare(y.count, x.count); c != 0 {
			return c
		}
		return strings.Compare(x.spelling, y.spelling)
	})
	cands = cands[:min(n, len(cands))]
	for _, c := range cands {
		score := dyadic(max(math.Log(float64(c.count)/float64(total)), l.score(c.a, ext)+l.score(c.b, ext)+scoreMargin, l.m.minScore))
		t := Token{
			ID: ext.FirstID + len(ext.Tokens), Spelling: c.spelling, Score: score,
			Merge:     [2]string{l.spell(c.a, ext), l.spell(c.b, ext)},
			Pieces:    slices.Concat(l.pieces(c.a, ext), l.pieces(c.b, ext)),
			Frequency: c.count, Saved: c.count,
		}
		for _, id := range t.Pieces {
			t.Bytes = append(t.Bytes, l.tok.Surface(id).Bytes...)
		}
		bySpelling[t.Spelling] = len(ext.Tokens)
		ext.Tokens = append(ext.Tokens, t)
	}
	return len(cands)
}

// dropUnused removes the new pieces no word's segmentation uses, and
// renumbers the others, in ext and in the words; it reports whether it
// removed any.
func (l *unigramLearner) dropUnused(words []countedWord, ext *Extension, bySpelling map[string]int, rejected map[string]bool) bool {
	used := make([]bool, len(ext.Tokens))
	for _, w := range words {
		for _, id := range w.ids {
			if int(id) >= ext.FirstID {
				used[int(id)-ext.FirstID] = true
			}
		}
	}
	if !slices.Contains(used, false) {
		return false
	}
	kept := ext.Tokens[:0]
	clear(bySpelling)
	renumber := make([]int32, len(ext.Tokens))
	for i, t := range ext.Tokens {
		if !used[i] {
			rejected[t.Spelling] = true
			continue
		}
		renumber[i] = int32(ext.FirstID + len(kept))
		t.ID = ext.FirstID + len(kept)
		bySpelling[t.Spelling] = len(kept)
		kept = append(kept, t)
	}
	ext.Tokens = kept
	// The segmentations do not change, only the ids of the pieces kept.
	for _, w := range words {
		for j, id := range w.ids {
			if int(id) >= ext.FirstID {
				w.ids[j] = renumber[int(id)-ext.FirstID]
			}
		}
	}
	return true
}

// makeReachable raises the score of every new piece that does not encode
// its own text alone as itself, shortest first, until all do; *cur is
// rebuilt when a score changes, which it reports.
func (l *unigramLearner) makeReachable(ext *Extension, cur **tokenizer.Tokenizer) (bool, error) {
	order := make([]int, len(ext.Tokens))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(x, y int) int {
		return cmp.Compare(len(ext.Tokens[x].Spelling), len(ext.Tokens[y].Spelling))
	})
	changedAny := false
	for range 16 {
		changed := false
		for _, i := range order {
			t := &ext.Tokens[i]
			ids := (*cur).EncodeWord(t.Spelling)
			if len(ids) == 1 && ids[0] == t.ID {
				continue
			}
			var sum float64
			for _, id := range ids {
				sum += l.score(int32(id), ext)
			}
			t.Score = max(t.Score, dyadic(sum+scoreMargin))
			changed = true
		}
		if !changed {
			return changedAny, nil
		}
		changedAny = true
		var err error
		if *cur, err = ext.Tokenizer(); err != nil {
			return true, err
		}
	}
	return changedAny, nil
}

// canJoin reports whether id may be half of a new piece.
func (l *unigramLearner) canJoin(id int32, ext *Extension) bool {
	if int(id) < len(l.eligible) {
		return l.eligible[id]
	}
	return int(id) >= ext.FirstID
}

func (l *unigramLearner) newToken(id int32, ext *Extension) *Token {
	return &ext.Tokens[int(id)-ext.FirstID]
}

func (l *unigramLearner) spell(id int32, ext *Extension) string {
	if int(id) < len(l.m.pieces) {
		return l.m.pieces[id]
	}
	return l.newToken(id, ext).Spelling
}

func (l *unigramLearner) score(id int32, ext *Extension) float64 {
	if int(id) < len(l.m.scores) {
		return l.m.scores[id]
	}
	if int(id) >= ext.FirstID {
		return l.newToken(id, ext).Score
	}
	return l.m.minScore // an added token or placeholder
}

func (l *unigramLearner) pieces(id int32, ext *Extension) []int {
	if int(id) < ext.FirstID {
		return []int{int(id)}
	}
	return l.newToken(id, ext).Pieces
}

func (l *unigramLearner) bytes(id int32, ext *Extension) []byte {
	if int(id) < ext.FirstID {
		return l.tok.Surface(int(id)).Bytes
	}
	return l.newToken(id, ext).Bytes
}
