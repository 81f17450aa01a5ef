package tokenizer

import (
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"
)

// An AddedToken is a token matched in the raw text before the model runs,
// as listed in the "added_tokens" of a tokenizer file.
type AddedToken struct {
	ID         int
	Content    string
	Special    bool // removed by Decode(ids, true); a role token
	SingleWord bool // only matched when not inside a word
	LStrip     bool // swallows the whitespace before it
	RStrip     bool // swallows the whitespace after it
	Normalized bool // matched in normalized text rather than raw text
}

// addedVocab finds added tokens in text, in two passes as the reference
// does: tokens with Normalized false in the raw text, then the others in
// each remaining segment after normalization.
type addedVocab struct {
	tokens []AddedToken       // in file order
	byID   map[int]AddedToken // the last definition of each id wins
	// decodeAs holds the normalized spelling of a normalized token when
	// normalization changes it; Decode prints that spelling.
	decodeAs map[int]string
	special  map[string]bool
	ids      map[string]int // content → id
	raw      *tokenTrie     // tokens matched in raw text
	norm     *tokenTrie     // tokens matched in normalized text
}

func parseAddedTokens(items []json.RawMessage, path string, m model, norm normalizer) (*addedVocab, error) {
	av := &addedVocab{byID: map[int]AddedToken{}, decodeAs: map[int]string{}, special: map[string]bool{}}
	ids := map[string]int{}
	claims := map[int]string{}
	next := m.size()
	for i, item := range items {
		p := indexPath(path, i)
		t, claimed, err := parseAddedToken(item, p)
		if err != nil {
			return nil, err
		}
		if t.Content == "" {
			continue // the reference ignores empty tokens
		}
		// Ids as the reference assigns them: the vocabulary's id, an id
		// given to the same content earlier, or the next free one.
		id, ok := ids[t.Content]
		if !ok {
			if id, ok = m.tokenToID(t.Content); !ok {
				id = next
				next++
			}
		}
		// The file's own id is only a claim: the reference assigns ids as
		// above and merely warns when they differ, so we follow it. Two
		// different tokens claiming one id is a broken file, though.
		if prev, dup := claims[claimed]; dup && claimed >= 0 && prev != t.Content {
			return nil, formatErr(p+".id", "added tokens %q and %q both claim id %d", prev, t.Content, claimed)
		}
		claims[claimed] = t.Content
		t.ID = id
		ids[t.Content] = id
		av.tokens = append(av.tokens, t)
		av.byID[id] = t
		if t.Special {
			av.special[t.Content] = true
		}
		if t.Normalized && norm != nil {
			if n := norm.normalize(t.Content); n != t.Content {
				av.decodeAs[id] = n
			}
		}
	}
	av.ids = ids
	av.build(norm, false)
	return av, nil
}

func parseAddedToken(raw json.RawMessage, path string) (AddedToken, int, error) {
	o, err := parseObject(raw, path)
	if err != nil {
		return AddedToken{}, 0, err
	}
	var t AddedToken
	if t.Content, err = o.str("content"); err != nil {
		return t, 0, err
	}
	claimed, err := o.optInt("id", -1)
	if err != nil {
		return t, 0, err
	}
	for _, f := range []struct {
		key string
		dst *bool
		def bool
	}{
		{"special", &t.Special, false},
		{"single_word", &t.SingleWord, false},
		{"lstrip", &t.LStrip, false},
		{"rstrip", &t.RStrip, false},
		{"normalized", &t.Normalized, true},
	} {
		if *f.dst, err = o.optBool(f.key, f.def); err != nil {
			return t, 0, err
		}
	}
	if o.null("normalized") {
		t.Normalized = !t.Special
	}
	return t, claimed, nil
}

// build makes the two matchers. With skipSpecial, special tokens are left
// out (EncodeSurface matches only ordinary added tokens).
func (av *addedVocab) build(norm normalizer, skipSpecial bool) {
	av.raw, av.norm = newTokenTrie(), newTokenTrie()
	for id, t := range av.byID {
		if skipSpecial && t.Special {
			continue
		}
		if !t.Normalized {
			av.raw.add(t.Content, id)
			continue
		}
		pattern := t.Content
		if n, ok := av.decodeAs[id]; ok {
			pattern = n
		}
		av.norm.add(pattern, id)
	}
}

// forSurface returns a copy that matches no special token and, since
// surfaces are not normalized, matches every token by its content.
func (av *addedVocab) forSurface() *addedVocab {
	c := *av
	c.decodeAs = nil
	c.build(nil, true)
	for id, t := range av.byID {
		if !t.Special && t.Normalized {
			c.norm.add(t.Content, id)
		}
	}
	return &c
}

// split cuts p at the added tokens trie finds, appending the pieces to dst:
// token pieces carry their id, the text between them id -1.
func (av *addedVocab) split(dst []piece, p piece, t *tokenTrie) []piece {
	s := p.text
	if t.empty() || s == "" {
		return append(dst, p)
	}
	startOffset := 0
	for pos := 0; pos < len(s); {
		start, stop, id, ok := t.next(s, pos)
		if !ok {
			break
		}
		// The search goes on after the match itself, even when rstrip
		// below takes more: that is how the reference's matcher iterates.
		pos = stop
		tok := av.byID[id]
		if tok.SingleWord && (endsWithWord(s[:start]) || startsWithWord(s[stop:])) {
			continue
		}
		if tok.LStrip {
			start = max(len(strings.TrimRightFunc(s[:start], unicode.IsSpace)), startOffset)
		}
		if tok.RStrip {
			stop = len(s) - len(strings.TrimLeftFunc(s[stop:], unicode.IsSpace))
		}
		start = min(start, stop) // overlapping strips; the reference panics here
		if startOffset < start {
			dst = append(dst, piece{text: s[startOffset:start], id: -1, first: p.first && startOffset == 0, raw: p.raw})
		}
		dst = append(dst, piece{text: s[start:stop], id: id})
		startOffset = stop
	}
	if startOffset < len(s) {
		dst = append(dst, piece{text: s[startOffset:], id: -1, first: p.first && startOffset == 0, raw: p.raw})
	}
	return dst
}

func endsWithWord(s string) bool {
	r, w := utf8.DecodeLastRuneInString(s)
	return w > 0 && isWordChar(r)
}

func startsWithWord(s string) bool {
	r, w := utf8.DecodeRuneInString(s)
	return w > 0 && isWordChar(r)
}

// tokenTrie is a byte trie of tokens. It finds added tokens
// leftmost-longest, as an Aho-Corasick automaton with that match kind
// does, and Unigram pieces by common prefix.
type tokenTrie struct {
	nodes []ttNode
	first [256]bool // bytes some token starts with
	n     int
}

type ttNode struct {
	next map[byte]int32
	id   int // -1 when no token ends here
}

func newTokenTrie() *tokenTrie { return &tokenTrie{nodes: []ttNode{{id: -1}}} }

func (t *tokenTrie) empty() bool { return t.n == 0 }

func (t *tokenTrie) add(s string, id int) {
	if s == "" {
		return
	}
	t.n++
	t.first[s[0]] = true
	cur := int32(0)
	for i := 0; i < len(s); i++ {
		nx, ok := t.nodes[cur].next[s[i]]
		if !ok {
			nx = int32(len(t.nodes))
			t.nodes = append(t.nodes, ttNode{id: -1})
			if t.nodes[cur].next == nil {
				t.nodes[cur].next = map[byte]int32{}
			}
			t.nodes[cur].next[s[i]] = nx
		}
		cur = nx
	}
	t.nodes[cur].id = id
}

// next finds the leftmost match at or after pos, the longest one there.
func (t *tokenTrie) next(s string, pos int) (start, stop, id int, ok bool) {
	for i := pos; i < len(s); i++ {
		if !t.first[s[i]] {
			continue
		}
		cur, found := int32(0), -1
		for j := i; j < len(s); j++ {
			nx, ok := t.nodes[cur].next[s[j]]
			if !ok {
				break
			}
			cur = nx
			if t.nodes[cur].id >= 0 {
				found, id = j+1, t.nodes[cur].id
			}
		}
		if found >= 0 {
			return i, found, id, true
		}
	}
	return 0, 0, 0, false
}

// walk calls f(length, id) for every token that is a prefix of s,
// shortest first.
func (t *tokenTrie) walk(s string, f func(n int, id int32)) {
	cur := int32(0)
	for i := 0; i < len(s); i++ {
		nx, ok := t.nodes[cur].next[s[i]]
		if !ok {
			return
		}
		cur = nx
		if id := t.nodes[cur].id; id >= 0 {
			f(i+1, int32(id))
		}
	}
}
