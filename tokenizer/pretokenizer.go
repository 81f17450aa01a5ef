package tokenizer

import (
	"encoding/json"
	"unicode"
)

// A preTokenizer cuts a piece of normalized text into the words the model
// encodes one at a time.
type preTokenizer interface {
	// preTokenize appends the words of p to dst. It may use buf for
	// scratch space.
	preTokenize(dst []piece, p piece, buf *scratch) []piece
}

// scratch is reusable working memory for one goroutine's pre-tokenizing.
type scratch struct {
	matches    [][2]int
	spans      []span
	text       []byte
	seqA, seqB []piece // for preTokenizerSequence
}

// splitWith cuts p at the matches of m and keeps the ranges b says to keep.
func splitWith(dst []piece, p piece, m matcher, b behavior, invert bool, buf *scratch) []piece {
	buf.matches = m.findAll(buf.matches[:0], p.text)
	buf.spans = spansFrom(buf.spans[:0], buf.matches, len(p.text))
	if invert {
		for i := range buf.spans {
			buf.spans[i].match = !buf.spans[i].match
		}
	}
	return emit(dst, p, applyBehavior(buf.spans, b))
}

func newPreTokenizer(raw json.RawMessage, path string) (preTokenizer, error) {
	o, typ, err := component(raw, path, "pre-tokenizer", legacyPreTokenizerType)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "ByteLevel":
		return newByteLevelPre(o)
	case "Split":
		return newSplit(o)
	case "Metaspace":
		return newMetaspace(o)
	case "Whitespace":
		return whitespace{}, nil
	case "WhitespaceSplit":
		return predicateSplit{unicode.IsSpace, removed}, nil
	case "BertPreTokenizer":
		return bertPre{}, nil
	case "Punctuation":
		s, err := o.optStr("behavior", "Isolated")
		if err != nil {
			return nil, err
		}
		b, err := parseBehavior(s, o.at("behavior"))
		return predicateSplit{isPunct, b}, err
	case "Digits":
		individual, err := o.optBool("individual_digits", false)
		if individual {
			return predicateSplit{unicode.IsNumber, isolated}, err
		}
		return predicateSplit{unicode.IsNumber, contiguous}, err
	case "CharDelimiterSplit":
		d, err := o.charField("delimiter", 0)
		if err == nil && o.null("delimiter") {
			err = formatErr(o.at("delimiter"), "missing delimiter")
		}
		return predicateSplit{func(r rune) bool { return r == d }, removed}, err
	case "FixedLength":
		n, err := o.optInt("length", 5)
		if err == nil && n == 0 {
			err = formatErr(o.at("length"), "length 0")
		}
		return fixedLength(n), err
	case "UnicodeScripts":
		return unicodeScripts{}, nil
	case "Sequence":
		seq, err := list(o, "pretokenizers", newPreTokenizer)
		return preTokenizerSequence(seq), err
	}
	return nil, unsupportedErr(o.at("type"), "pre-tokenizer type %q", typ)
}

func legacyPreTokenizerType(o object) (string, error) {
	switch {
	case o.m["pretokenizers"] != nil:
		return "Sequence", nil
	case o.m["replacement"] != nil:
		return "Metaspace", nil
	case o.m["add_prefix_space"] != nil:
		return "ByteLevel", nil
	case o.m["pattern"] != nil:
		return "Split", nil
	case o.m["individual_digits"] != nil:
		return "Digits", nil
	case o.m["delimiter"] != nil:
		return "CharDelimiterSplit", nil
	}
	return "", unsupportedErr(o.path, "pre-tokenizer without a \"type\" whose fields match no known pre-tokenizer")
}

type preTokenizerSequence []preTokenizer

func (seq preTokenizerSequence) preTokenize(dst []piece, p piece, buf *scratch) []piece {
	// Stages ping-pong between two buffers; a nested sequence gets fresh
	// ones, since buf's are in use.
	cur, next := append(buf.seqA[:0], p), buf.seqB[:0]
	buf.seqA, buf.seqB = nil, nil
	for _, pt := range seq {
		next = next[:0]
		for _, q := range cur {
			next = pt.preTokenize(next, q, buf)
		}
		cur, next = next, cur
	}
	dst = append(dst, cur...)
	buf.seqA, buf.seqB = cur, next
	return dst
}

// predicateSplit cuts at every character for which is is true.
type predicateSplit struct {
	is func(rune) bool
	b  behavior
}

func (ps predicateSplit) preTokenize(dst []piece, p piece, buf *scratch) []piece {
	return splitWith(dst, p, runeMatcher(ps.is), ps.b, false, buf)
}

// bertPre splits on whitespace, then isolates each punctuation character.
type bertPre struct{}

func (bertPre) preTokenize(dst []piece, p piece, buf *scratch) []piece {
	words := splitWith(nil, p, runeMatcher(unicode.IsSpace), removed, false, buf)
	for _, w := range words {
		dst = splitWith(dst, w, runeMatcher(isPunct), isolated, false, buf)
	}
	return dst
}

// whitespace keeps the runs of word characters and the runs of other
// non-space characters: the regex \w+|[^\w\s]+.
type whitespace struct{}

func (whitespace) preTokenize(dst []piece, p piece, buf *scratch) []piece {
	return splitWith(dst, p, wordRunMatcher{}, removed, true, buf)
}

type wordRunMatcher struct{}

func (wordRunMatcher) findAll(dst [][2]int, s string) [][2]int {
	kind := func(r rune) int {
		switch {
		case unicode.IsSpace(r):
			return 0
		case isWordChar(r):
			return 1
		}
		return 2
	}
	start, cur := 0, 0
	for i, r := range s {
		k := kind(r)
		if k != cur {
			if cur != 0 {
				dst = append(dst, [2]int{start, i})
			}
			start, cur = i, k
		}
	}
	if cur != 0 {
		dst = append(dst, [2]int{start, len(s)})
	}
	return dst
}

// isWordChar is Unicode \w: alphabetic, marks, decimal digits, connector
// punctuation and the joiners.
func isWordChar(r rune) bool {
	if r < 0x80 {
		return r == '_' || (r >= '0' && r <= '9') || (r|0x20 >= 'a' && r|0x20 <= 'z')
	}
	return unicode.IsLetter(r) || unicode.In(r, unicode.M, unicode.Nd, unicode.Nl, unicode.Pc) ||
		r == 0x200C || r == 0x200D
}

// fixedLength cuts text into pieces of n characters.
type fixedLength int

func (n fixedLength) preTokenize(dst []piece, p piece, _ *scratch) []piece {
	start, count := 0, 0
	for i := range p.text {
		if count == int(n) {
			dst = append(dst, piece{text: p.text[start:i], id: -1, first: p.first && start == 0, raw: p.raw})
			start, count = i, 0
		}
		count++
	}
	if start < len(p.text) {
		dst = append(dst, piece{text: p.text[start:], id: -1, first: p.first && start == 0, raw: p.raw})
	}
	return dst
}
