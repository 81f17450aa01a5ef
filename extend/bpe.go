package extend

import (
	"context"
	"encoding/binary"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/transplant-dev/transplant/tokenizer"
)

// BPE: the merge list goes on where it stopped. Every word starts from the
// base's segmentation of it (every old merge run to completion, as the
// encoder runs them, since the new merges rank after all of them); then,
// as in BPE training, the pair that saves the most tokens is merged
// everywhere, again and again. Because the encoder applies the new merges
// in the same order, the learner's segmentation of every word is exactly
// the extended tokenizer's.
//
// Symbols are int32: old ids as they are, the k-th new token old+k, and a
// character the base spells with byte-fallback tokens -(c+1) for entry c of
// the character table.

type bpeLearner struct {
	base  *Base
	tok   *tokenizer.Tokenizer
	m     *baseModel
	mark  string
	first int // id of the first new token
	old   int // base id space; new symbol k is old+k

	// By old id.
	cutBefore []bool  // begins with the space mark: a new unit starts
	byteOf    []int16 // the byte a byte-fallback token stands for, or -1
	// By symbol (old ids, then new tokens).
	spell     []string
	surface   []string // the bytes a symbol stands for
	mergeable []bool
	pieces    [][]int // the base's ids a new token stands for

	newBySpelling map[string]int32 // new tokens' symbols

	chars     []bpeChar
	words     []bpeWord
	pairs     map[uint64]int64
	where     map[uint64][]int32
	invalid   map[uint64]bool // pairs whose merge would not give a new token
	stamp     []int32         // by word: the last step that visited it
	step      int32
	deltas    map[uint64]int64
	heap      candHeap
	whole     map[string]int32 // ignore_merges: whole words by spelling
	saved     int64
	minFreq   int64
	charsOK   bool // new characters may replace byte-fallback runs
	pairsForm bool // merges are written as pairs, so tokens may hold spaces
	style     style
}

type bpeWord struct {
	syms  []int32
	count int64
	whole bool
}

// bpeChar is a character the base writes as byte-fallback tokens.
type bpeChar struct {
	text  string
	ids   []int // the byte-fallback ids
	count int64
	joins int64 // occurrences followed by another line break, for a line break
	where []int32
	added bool
}

// value is the tokens a character saves as a token, and at how many
// occurrences. A one-byte character saves none itself; a line break is
// worth the merges with the next line break it makes possible, where the
// style lets it have them.
func (l *bpeLearner) value(ch *bpeChar) (saved, occurrences int64) {
	switch {
	case len(ch.text) > 1:
		return ch.count * int64(len(ch.text)-1), ch.count
	case l.style.breaksAlone && onlyBreaks([]byte(ch.text)):
		return ch.joins, ch.joins
	}
	return 0, 0
}

func newBPELearner(b *Base, first int, opts Options) *bpeLearner {
	tok := b.tok
	old := tok.VocabSize()
	l := &bpeLearner{
		base: b, tok: tok, m: &b.model, mark: spaceMark(tok), first: first, old: old,
		cutBefore: make([]bool, old), byteOf: make([]int16, old),
		spell: make([]string, old), surface: make([]string, old), mergeable: make([]bool, old),
		newBySpelling: map[string]int32{},
		pairs:         map[uint64]int64{}, where: map[uint64][]int32{},
		invalid: map[uint64]bool{}, deltas: map[uint64]int64{},
		pairsForm: b.model.mergesAsPairs, style: inferStyle(tok, opts),
	}
	added := map[int]bool{}
	for _, a := range tok.AddedTokens() {
		added[a.ID] = true
	}
	for id := range old {
		l.byteOf[id] = -1
		s := tok.Surface(id)
		tokStr, _ := tok.TokenString(id)
		l.spell[id] = tokStr
		l.surface[id] = string(s.Bytes)
		if s.ByteFallback {
			l.byteOf[id] = int16(s.Bytes[0])
		}
		l.cutBefore[id] = l.mark != "" && strings.HasPrefix(tokStr, l.mark)
		l.mergeable[id] = !s.Unused && !s.Special && !s.ByteFallback && !added[id] &&
			(b.model.unk == "" || tokStr != b.model.unk)
	}
	l.charsOK = b.model.byteFallback && !b.model.fallbackMerged && b.model.prefix == "" && b.model.suffix == ""
	l.heap.less = l.better
	return l
}

// key cuts the word's ids into units, at every token that begins with the
// space mark (a SentencePiece-style vocabulary without a pre-tokenizer
// hands the model whole lines), and writes each as a flag and the ids.
func (l *bpeLearner) key(dst [][]byte, word []byte, ids []int) [][]byte {
	start := 0
	for i := 1; i <= len(ids); i++ {
		if i < len(ids) && !l.cutBefore[ids[i]] {
			continue
		}
		var k []byte
		dst, k = nextBuf(dst)
		flag := byte(0)
		if start == 0 && i == len(ids) && l.m.ignoreMerges {
			flag = 1
		}
		k = append(k, flag)
		for _, id := range ids[start:i] {
			k = binary.AppendUvarint(k, uint64(id))
		}
		dst[len(dst)-1] = k
		start = i
	}
	return dst
}

// nextBuf extends dst by one element, reusing its old storage.
func nextBuf(dst [][]byte) ([][]byte, []byte) {
	if len(dst) < cap(dst) {
		dst = dst[:len(dst)+1]
		return dst, dst[len(dst)-1][:0]
	}
	return append(dst, nil), nil
}

func (l *bpeLearner) learn(ctx context.Context, wc *wordCounts, opts Options, ext *Extension) error {
	l.minFreq = opts.minFrequency()
	l.build(wc)
	wc.counts = nil // the words hold it all now
	for len(ext.Tokens) < opts.Add {
		if len(ext.Tokens)%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		c, ok := l.next()
		if !ok {
			break
		}
		var t Token
		if c.char {
			t = l.addChar(int(c.key))
		} else {
			a, b := splitKey(c.key)
			merge := [2]string{l.spell[a], l.spell[b]}
			spelling := l.result(a, b)
			sym, exists := l.newBySpelling[spelling]
			if !exists {
				sym = l.newSymbol(spelling, l.surface[a]+l.surface[b], slices.Concat(l.pieceIDs(a), l.pieceIDs(b)))
			}
			freq := l.merge(a, b, sym)
			ext.Merges = append(ext.Merges, merge)
			if exists {
				continue // one more way to make a new token: no new id
			}
			t = l.token(sym)
			t.Merge, t.Frequency, t.Saved = merge, freq, freq
		}
		ext.Tokens = append(ext.Tokens, t)
		l.wholeWord(l.newBySpelling[t.Spelling])
		progress(opts, Learning, int64(len(ext.Tokens)), int64(opts.Add))
	}
	ext.Stats.TokensAfter = ext.Stats.TokensBefore - l.saved
	ext.Stats.DistinctWords = len(l.words)
	return nil
}

// build turns the counted units into words of symbols and counts their
// pairs and characters.
func (l *bpeLearner) build(wc *wordCounts) {
	charIndex := map[string]int32{}
	l.words = make([]bpeWord, 0, len(wc.counts))
	if l.m.ignoreMerges {
		l.whole = map[string]int32{}
	}
	var ids []int
	var run []byte
	for k, n := range wc.counts {
		ids = ids[:0]
		for rest := []byte(k[1:]); len(rest) > 0; {
			v, w := binary.Uvarint(rest)
			ids = append(ids, int(v))
			rest = rest[w:]
		}
		w := bpeWord{count: n, whole: k[0] == 1}
		var spelled strings.Builder // the word as a token would spell it, for ignore_merges
		for i := 0; i < len(ids); {
			if l.byteOf[ids[i]] < 0 || !l.charsOK {
				w.syms = append(w.syms, int32(ids[i]))
				spelled.WriteString(l.spell[ids[i]])
				i++
				continue
			}
			// A run of byte-fallback tokens: one symbol per character.
			run = run[:0]
			j := i
			for ; j < len(ids) && l.byteOf[ids[j]] >= 0; j++ {
				run = append(run, byte(l.byteOf[ids[j]]))
			}
			for p := 0; p < len(run); {
				r, size := utf8.DecodeRune(run[p:])
				if r == utf8.RuneError && size <= 1 {
					w.syms = append(w.syms, int32(ids[i+p]))
					p++
					continue
				}
				ch := string(run[p : p+size])
				c, ok := charIndex[ch]
				if !ok {
					c = int32(len(l.chars))
					charIndex[ch] = c
					l.chars = append(l.chars, bpeChar{text: ch, ids: intsOf(ids[i+p : i+p+size])})
				}
				w.syms = append(w.syms, -(c + 1))
				spelled.WriteString(ch)
				p += size
			}
			i = j
		}
		idx := int32(len(l.words))
		l.words = append(l.words, w)
		if l.whole != nil && w.whole {
			l.whole[spelled.String()] = idx
		}
	}
	l.stamp = make([]int32, len(l.words))
	for i := range l.stamp {
		l.stamp[i] = -1
	}
	for wi, w := range l.words {
		for i, s := range w.syms {
			if s < 0 {
				ch := &l.chars[-s-1]
				ch.count += w.count
				if i+1 < len(w.syms) && w.syms[i+1] < 0 && onlyBreaks([]byte(ch.text+l.chars[-w.syms[i+1]-1].text)) {
					ch.joins += w.count
				}
				if n := len(ch.where); n == 0 || ch.where[n-1] != int32(wi) {
					ch.where = append(ch.where, int32(wi))
				}
				continue
			}
			if i+1 < len(w.syms) && l.trackable(s, w.syms[i+1]) {
				l.pairs[pairKey(s, w.syms[i+1])] += w.count
			}
		}
	}
	// A pair of old symbols only loses occurrences as merges go on, so one
	// below the minimum frequency now never becomes a candidate: forget it
	// (a later change to its count starts from zero and drops it again).
	for k, n := range l.pairs {
		if n < l.minFreq {
			delete(l.pairs, k)
		}
	}
	for wi, w := range l.words {
		for i := 0; i+1 < len(w.syms); i++ {
			if k := pairKey(w.syms[i], w.syms[i+1]); w.syms[i] >= 0 && w.syms[i+1] >= 0 && l.pairs[k] > 0 {
				l.addWhere(k, int32(wi))
			}
		}
	}
	for k, n := range l.pairs {
		if n >= l.minFreq {
			l.heap.push(candidate{saved: n, key: k})
		}
	}
	if l.charsOK {
		// A one-byte character saves nothing as a token: it is left in
		// bytes, and no merge builds on it (but see value).
		for c := range l.chars {
			ch := &l.chars[c]
			if v, n := l.value(ch); v > 0 && n >= l.minFreq && l.style.allows([]byte(ch.text)) {
				l.heap.push(candidate{saved: v, key: uint64(c), char: true})
			}
		}
	}
}

func intsOf(ids []int) []int { return append([]int(nil), ids...) }

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func splitKey(k uint64) (int32, int32) { return int32(k >> 32), int32(uint32(k)) }

// trackable reports whether a pair of symbols could ever merge.
func (l *bpeLearner) trackable(a, b int32) bool {
	return a >= 0 && b >= 0 && l.mergeable[a] && l.mergeable[b]
}

func (l *bpeLearner) addWhere(k uint64, w int32) {
	list := l.where[k]
	if n := len(list); n == 0 || list[n-1] != w {
		l.where[k] = append(list, w)
	}
}

// A candidate is a pair to merge or a character to add, with the tokens
// it would save when it was queued.
type candidate struct {
	saved int64
	key   uint64 // pairKey, or the character's index
	char  bool
}

// better orders candidates: most tokens saved first; among equals,
// characters before pairs, characters by their text, pairs by their ids.
func (l *bpeLearner) better(x, y candidate) bool {
	if x.saved != y.saved {
		return x.saved > y.saved
	}
	if x.char != y.char {
		return x.char
	}
	if x.char {
		return l.chars[x.key].text < l.chars[y.key].text
	}
	return x.key < y.key
}

// next pops the best candidate that is still current and allowed.
func (l *bpeLearner) next() (candidate, bool) {
	for l.heap.len() > 0 {
		c := l.heap.pop()
		if c.char {
			ch := &l.chars[c.key]
			if v, _ := l.value(ch); ch.added || v != c.saved {
				continue
			}
			return c, true
		}
		if l.pairs[c.key] != c.saved || l.invalid[c.key] {
			continue
		}
		a, b := splitKey(c.key)
		if !l.allowed(a, b) {
			l.invalid[c.key] = true
			continue
		}
		return c, true
	}
	return candidate{}, false
}

// result is the spelling a merge of a and b gives, as the reference forms
// it: a, then b without its continuing-subword prefix.
func (l *bpeLearner) result(a, b int32) string {
	return l.spell[a] + l.spell[b][len(l.m.prefix):]
}

// allowed reports whether merging a and b gives a token the vocabulary may
// gain: spelled so that the merge list can hold it, with the space mark
// only at its start, and not already a token of the base (a merge making an
// old token would change how old text encodes).
func (l *bpeLearner) allowed(a, b int32) bool {
	sa, sb := l.spell[a], l.spell[b]
	if !strings.HasPrefix(sb, l.m.prefix) {
		return false
	}
	if !l.pairsForm && (strings.Contains(sa, " ") || strings.Contains(sb, " ")) {
		return false
	}
	r := l.result(a, b)
	if !markOnlyFirst(r, l.mark) || !l.style.allows([]byte(l.surface[a]+l.surface[b])) {
		return false
	}
	_, isOld := l.tok.ID(r)
	return !isOld
}

// newSymbol adds a new token.
func (l *bpeLearner) newSymbol(spelling, surface string, pieces []int) int32 {
	sym := int32(len(l.spell))
	l.spell = append(l.spell, spelling)
	l.surface = append(l.surface, surface)
	l.mergeable = append(l.mergeable, true)
	l.pieces = append(l.pieces, pieces)
	l.newBySpelling[spelling] = sym
	return sym
}

// pieceIDs is the base's segmentation of a symbol.
func (l *bpeLearner) pieceIDs(s int32) []int {
	if int(s) < l.old {
		return []int{int(s)}
	}
	return l.pieces[int(s)-l.old]
}

func (l *bpeLearner) token(sym int32) Token {
	return Token{ID: l.first + int(sym) - l.old, Spelling: l.spell[sym], Bytes: []byte(l.surface[sym]), Pieces: l.pieceIDs(sym)}
}

// merge replaces every a b in the words that hold it with c and updates
// the pair counts; it returns the occurrences merged.
func (l *bpeLearner) merge(a, b, c int32) int64 {
	k := pairKey(a, b)
	list := l.where[k]
	delete(l.where, k)
	l.step++
	step := l.step
	clear(l.deltas)
	var merged int64
	for _, wi := range list {
		if l.stamp[wi] == step {
			continue
		}
		l.stamp[wi] = step
		w := &l.words[wi]
		n := l.mergeWord(w, wi, a, b, c)
		merged += n * w.count
	}
	delete(l.pairs, k)
	l.saved += merged
	l.applyDeltas()
	return merged
}

// mergeWord merges a b into c in one word, left to right, recording how
// the pairs around each merge change.
func (l *bpeLearner) mergeWord(w *bpeWord, wi int32, a, b, c int32) int64 {
	s := w.syms
	out := s[:0]
	var n int64
	for i := 0; i < len(s); {
		if i+1 < len(s) && s[i] == a && s[i+1] == b {
			if len(out) > 0 {
				left := out[len(out)-1]
				l.delta(left, a, -w.count, -1)
				l.delta(left, c, w.count, wi)
			}
			if i+2 < len(s) {
				right := s[i+2]
				l.delta(b, right, -w.count, -1)
				l.delta(c, right, w.count, wi)
			}
			out = append(out, c)
			i += 2
			n++
			continue
		}
		out = append(out, s[i])
		i++
	}
	w.syms = out
	return n
}

// delta records a change of a pair's count; wi >= 0 notes the word as
// holding the pair.
func (l *bpeLearner) delta(a, b int32, d int64, wi int32) {
	if !l.trackable(a, b) {
		return
	}
	k := pairKey(a, b)
	l.deltas[k] += d
	if wi >= 0 {
		l.addWhere(k, wi)
	}
}

func (l *bpeLearner) applyDeltas() {
	for k, d := range l.deltas {
		if d == 0 {
			continue
		}
		n := l.pairs[k] + d
		if n <= 0 {
			delete(l.pairs, k)
			continue
		}
		l.pairs[k] = n
		if n >= l.minFreq {
			l.heap.push(candidate{saved: n, key: k})
		}
	}
}

// addChar makes character c a token: its byte-fallback run becomes one
// symbol wherever it occurs.
func (l *bpeLearner) addChar(c int) Token {
	ch := &l.chars[c]
	ch.added = true
	sym := l.newSymbol(ch.text, ch.text, ch.ids)
	virtual := int32(-(c + 1))
	l.step++
	step := l.step
	clear(l.deltas)
	for _, wi := range ch.where {
		if l.stamp[wi] == step {
			continue
		}
		l.stamp[wi] = step
		w := &l.words[wi]
		for i, s := range w.syms {
			if s != virtual {
				continue
			}
			w.syms[i] = sym
			if i > 0 {
				l.delta(w.syms[i-1], sym, w.count, wi)
			}
			if i+1 < len(w.syms) {
				l.delta(sym, w.syms[i+1], w.count, wi)
			}
		}
	}
	l.applyDeltas()
	saved := ch.count * int64(len(ch.ids)-1)
	l.saved += saved
	t := l.token(sym)
	t.Frequency, t.Saved = ch.count, saved
	return t
}

// wholeWord applies ignore_merges: a word spelled as a token of the
// vocabulary is that token, whatever the merges would make of it.
func (l *bpeLearner) wholeWord(sym int32) {
	if l.whole == nil {
		return
	}
	wi, ok := l.whole[l.spell[sym]]
	if !ok {
		return
	}
	w := &l.words[wi]
	if len(w.syms) == 1 && w.syms[0] == sym {
		return
	}
	clear(l.deltas)
	tokens := int64(0)
	for i, s := range w.syms {
		tokens += l.weight(s)
		if i+1 < len(w.syms) {
			l.delta(s, w.syms[i+1], -w.count, -1)
		}
	}
	l.applyDeltas()
	l.saved += (tokens - 1) * w.count
	w.syms = append(w.syms[:0], sym)
}

// weight is the number of tokens a symbol stands for now.
func (l *bpeLearner) weight(s int32) int64 {
	if s < 0 {
		return int64(len(l.chars[-s-1].ids))
	}
	return 1
}

// candHeap is a binary heap of candidates under less.
type candHeap struct {
	items []candidate
	less  func(a, b candidate) bool
}

func (h *candHeap) len() int { return len(h.items) }

func (h *candHeap) push(c candidate) {
	h.items = append(h.items, c)
	for i := len(h.items) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(h.items[i], h.items[p]) {
			break
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

func (h *candHeap) pop() candidate {
	top := h.items[0]
	last := len(h.items) - 1
	h.items[0] = h.items[last]
	h.items = h.items[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h.items) && h.less(h.items[l], h.items[m]) {
			m = l
		}
		if r < len(h.items) && h.less(h.items[r], h.items[m]) {
			m = r
		}
		if m == i {
			break
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
	return top
}
