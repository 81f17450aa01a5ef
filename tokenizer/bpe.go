package tokenizer

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// bpe is the byte-pair-encoding model: a word starts as one symbol per
// character and the lowest-ranked adjacent pair is merged until no pair
// has a merge rule.
type bpe struct {
	vocab
	merges       map[uint64]mergeRule
	unk          int // id of unk_token; -1 when the model has none
	prefix       string
	suffix       string
	fuseUnk      bool
	byteFallback bool
	ignoreMerges bool
	// runeIDs maps single-character tokens, for the common case of no
	// prefix or suffix.
	runeIDs map[rune]int32
	// byteFallbackIDs[b] is the id of "<0xNN>", or -1.
	byteFallbackIDs [256]int32

	// For byte-level vocabularies the model reads raw bytes (piece.raw):
	// byteIDs[b] is the id of b's spelling and rawVocab maps tokens by the
	// bytes they spell.
	byteLevel bool
	byteIDs   [256]int32
	rawVocab  map[string]int32
}

type mergeRule struct {
	rank int32
	id   int32 // the merged token
}

func pairKey(a, b int32) uint64 { return uint64(uint32(a))<<32 | uint64(uint32(b)) }

func newBPE(o object) (*bpe, error) {
	v, err := parseVocabMap(o, "vocab")
	if err != nil {
		return nil, err
	}
	m := &bpe{vocab: v, unk: -1}
	if !o.null("dropout") {
		var d float64
		if err := o.decode("dropout", &d, "a number"); err != nil {
			return nil, err
		}
		if d != 0 {
			return nil, unsupportedErr(o.at("dropout"), "BPE dropout %v (encoding would be random)", d)
		}
	}
	unk, err := o.optStr("unk_token", "")
	if err != nil {
		return nil, err
	}
	if !o.null("unk_token") {
		id, ok := v.tokenToID(unk)
		if !ok {
			return nil, formatErr(o.at("unk_token"), "unk token %q is not in the vocabulary", unk)
		}
		m.unk = id
	}
	if m.prefix, err = o.optStr("continuing_subword_prefix", ""); err != nil {
		return nil, err
	}
	if m.suffix, err = o.optStr("end_of_word_suffix", ""); err != nil {
		return nil, err
	}
	if m.fuseUnk, err = o.optBool("fuse_unk", false); err != nil {
		return nil, err
	}
	if m.byteFallback, err = o.optBool("byte_fallback", false); err != nil {
		return nil, err
	}
	if m.ignoreMerges, err = o.optBool("ignore_merges", false); err != nil {
		return nil, err
	}
	if err := m.readMerges(o); err != nil {
		return nil, err
	}
	m.index()
	return m, nil
}

// readMerges accepts merges as "a b" strings or as [a, b] pairs.
func (m *bpe) readMerges(o object) error {
	pairs, err := parseMerges(o)
	if err != nil {
		return err
	}
	m.merges = make(map[uint64]mergeRule, len(pairs))
	path := o.at("merges")
	var buf []byte
	for rank, p := range pairs {
		a, b := p.a, p.b
		ida, ok := m.tokenToID(a)
		if !ok {
			return formatErr(indexPath(path, p.index), "merge names %q, which is not in the vocabulary", a)
		}
		idb, ok := m.tokenToID(b)
		if !ok {
			return formatErr(indexPath(path, p.index), "merge names %q, which is not in the vocabulary", b)
		}
		if len(b) < len(m.prefix) {
			return formatErr(indexPath(path, p.index), "merge token %q is shorter than the continuing-subword prefix", b)
		}
		buf = append(append(buf[:0], a...), b[len(m.prefix):]...)
		id, ok := m.ids[string(buf)]
		if !ok {
			return formatErr(indexPath(path, p.index), "merge result %q is not in the vocabulary", buf)
		}
		// A repeated pair takes its later rank, as in the reference.
		m.merges[pairKey(int32(ida), int32(idb))] = mergeRule{rank: int32(rank), id: int32(id)}
	}
	return nil
}

type mergePair struct {
	a, b  string
	index int // position in the file's list, for errors
}

// parseMerges reads the merge list in one of its two forms; "#version"
// lines of old files are skipped.
func parseMerges(o object) ([]mergePair, error) {
	if o.null("merges") {
		return nil, formatErr(o.at("merges"), "missing array field")
	}
	raw := o.m["merges"]
	lines, pairs, ok := fastStrings(raw, false)
	if !ok {
		_, pairs, ok = fastStrings(raw, true)
	}
	if !ok && json.Unmarshal(raw, &lines) != nil {
		lines = nil
		if json.Unmarshal(raw, &pairs) != nil {
			pairs = nil
		}
	}
	if lines != nil {
		out := make([]mergePair, 0, len(lines))
		for i, line := range lines {
			if strings.HasPrefix(line, "#version") {
				continue
			}
			a, b, ok := strings.Cut(line, " ")
			if !ok || strings.Contains(b, " ") {
				return nil, formatErr(indexPath(o.at("merges"), i), "merge %q is not two tokens separated by one space", line)
			}
			out = append(out, mergePair{a, b, i})
		}
		return out, nil
	}
	if pairs != nil {
		out := make([]mergePair, len(pairs))
		for i, p := range pairs {
			if len(p) != 2 {
				return nil, formatErr(indexPath(o.at("merges"), i), "want a pair of tokens, have %d", len(p))
			}
			out[i] = mergePair{p[0], p[1], i}
		}
		return out, nil
	}
	// Neither form: find the first bad element for the error.
	items, err := o.array("merges")
	if err != nil {
		return nil, err
	}
	for i, item := range items {
		var s string
		var p []string
		if json.Unmarshal(item, &s) != nil && json.Unmarshal(item, &p) != nil {
			return nil, formatErr(indexPath(o.at("merges"), i), "want \"a b\" or [\"a\", \"b\"], have %s", describeJSON(item))
		}
	}
	return nil, formatErr(o.at("merges"), "mixes \"a b\" strings and [a, b] pairs")
}

// index builds the lookup tables the encoder uses.
func (m *bpe) index() {
	m.runeIDs = make(map[rune]int32)
	for id, tok := range m.tokens {
		if !m.known[id] {
			continue
		}
		if r, w := utf8.DecodeRuneInString(tok); w == len(tok) && (r != utf8.RuneError || w > 1) {
			m.runeIDs[r] = int32(id)
		}
	}
	for b := range m.byteFallbackIDs {
		m.byteFallbackIDs[b] = -1
		if id, ok := m.ids[fmt.Sprintf("<0x%02X>", b)]; ok {
			m.byteFallbackIDs[b] = int32(id)
		}
	}
}

// enableByteLevel lets the model read raw bytes; it returns false when the
// vocabulary does not spell every byte in the byte-level alphabet.
func (m *bpe) enableByteLevel() bool {
	if m.prefix != "" || m.suffix != "" {
		return false
	}
	for b := range m.byteIDs {
		id, ok := m.ids[byteSpelling[b]]
		if !ok {
			return false
		}
		m.byteIDs[b] = int32(id)
	}
	m.rawVocab = make(map[string]int32, len(m.ids))
	var buf []byte
	for tok, id := range m.ids {
		var ok bool
		if buf, ok = unspellBytes(buf[:0], tok); ok {
			m.rawVocab[string(buf)] = int32(id)
		}
	}
	m.byteLevel = true
	return true
}

const (
	maxCachedWord = 256     // longest word (bytes) the per-worker cache keeps
	maxCacheSize  = 1 << 16 // entries before the cache is emptied
)

func (m *bpe) tokenize(dst []int, p piece, ws *workspace) []int {
	if p.text == "" {
		return dst
	}
	cache := ws.bpeCache
	if p.raw {
		cache = ws.bpeRawCache
	}
	if ids, ok := cache[p.text]; ok {
		for _, id := range ids {
			dst = append(dst, int(id))
		}
		return dst
	}
	n := len(dst)
	dst = m.encodeWord(dst, p, ws)
	if len(p.text) < maxCachedWord {
		if len(cache) >= maxCacheSize {
			clear(cache)
		}
		ids := make([]int32, len(dst)-n)
		for i, id := range dst[n:] {
			ids[i] = int32(id)
		}
		cache[strings.Clone(p.text)] = ids
	}
	return dst
}

func (m *bpe) encodeWord(dst []int, p piece, ws *workspace) []int {
	if p.raw && !m.byteLevel {
		ws.text = spellBytes(ws.text[:0], p.text)
		p = piece{text: string(ws.text)}
	}
	if m.ignoreMerges {
		if p.raw {
			if id, ok := m.rawVocab[p.text]; ok {
				return append(dst, int(id))
			}
		} else if id, ok := m.ids[p.text]; ok {
			return append(dst, id)
		}
	}
	var syms []int32
	if p.raw {
		syms = ws.syms[:0]
		for i := 0; i < len(p.text); i++ {
			syms = append(syms, m.byteIDs[p.text[i]])
		}
	} else {
		syms = m.initialSymbols(ws.syms[:0], p.text, ws)
	}
	syms = m.mergeAll(syms, ws)
	ws.syms = syms
	for _, id := range syms {
		dst = append(dst, int(id))
	}
	return dst
}

// initialSymbols is the word as one symbol per character, with the
// continuing-subword prefix on all but the first and the end-of-word suffix
// on the last; unknown characters become byte-fallback tokens or unk.
func (m *bpe) initialSymbols(syms []int32, w string, ws *workspace) []int32 {
	plain := m.prefix == "" && m.suffix == ""
	unkLen := 0 // a pending unk symbol, for fusing
	flushUnk := func() {
		if unkLen > 0 {
			syms = append(syms, int32(m.unk))
			unkLen = 0
		}
	}
	for i := 0; i < len(w); {
		r, size := utf8.DecodeRuneInString(w[i:])
		ch := w[i : i+size]
		first, last := i == 0, i+size == len(w)
		i += size
		var s string
		id, ok := int32(-1), false
		if plain {
			if r != utf8.RuneError || size > 1 {
				id, ok = m.runeIDs[r]
			}
			s = ch
		} else {
			b := ws.text[:0]
			if !first {
				b = append(b, m.prefix...)
			}
			b = append(b, ch...)
			if last {
				b = append(b, m.suffix...)
			}
			ws.text = b
			s = string(b)
			var id0 int
			id0, ok = m.ids[s]
			id = int32(id0)
		}
		if ok {
			flushUnk()
			syms = append(syms, id)
			continue
		}
		if m.byteFallback && m.allBytesKnown(s) {
			for j := 0; j < len(s); j++ {
				syms = append(syms, m.byteFallbackIDs[s[j]])
			}
			continue
		}
		if m.unk < 0 {
			continue // no unk token: the character is dropped, as in the reference
		}
		if unkLen > 0 && !m.fuseUnk {
			flushUnk()
		}
		unkLen += size
	}
	flushUnk()
	return syms
}

func (m *bpe) allBytesKnown(s string) bool {
	for j := 0; j < len(s); j++ {
		if m.byteFallbackIDs[s[j]] < 0 {
			return false
		}
	}
	return true
}
