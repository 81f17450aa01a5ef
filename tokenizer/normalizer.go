package tokenizer

import (
	"encoding/json"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// A normalizer rewrites the text of a segment (the text between added
// tokens) before the pre-tokenizers cut it into words.
type normalizer interface {
	normalize(s string) string
}

// newNormalizer builds the normalizer a JSON object describes, keyed by its
// "type"; legacy objects without one are recognized by their fields, as
// the reference does.
func newNormalizer(raw json.RawMessage, path string) (normalizer, error) {
	o, typ, err := component(raw, path, "normalizer", legacyNormalizerType)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "NFC":
		return nfc, nil
	case "NFD":
		return nfd, nil
	case "NFKC":
		return nfkc, nil
	case "NFKD":
		return nfkd, nil
	case "Lowercase":
		return lowercase{}, nil
	case "StripAccents":
		return stripAccents{}, nil
	case "Nmt":
		return nmt{}, nil
	case "ByteLevel":
		return byteLevelNormalizer{}, nil
	case "Strip":
		return newStrip(o)
	case "Replace":
		return newReplace(o)
	case "Prepend":
		s, err := o.str("prepend")
		return prepend(s), err
	case "BertNormalizer":
		return newBertNormalizer(o)
	case "Precompiled":
		return newPrecompiled(o)
	case "Sequence":
		seq, err := list(o, "normalizers", newNormalizer)
		return normalizerSequence(seq), err
	}
	return nil, unsupportedErr(o.at("type"), "normalizer type %q", typ)
}

// legacyNormalizerType infers the type of an untagged normalizer object from
// the fields it has, trying the types in the reference's order.
func legacyNormalizerType(o object) (string, error) {
	switch {
	case o.m["clean_text"] != nil && o.m["handle_chinese_chars"] != nil && o.m["lowercase"] != nil:
		return "BertNormalizer", nil
	case o.m["strip_left"] != nil && o.m["strip_right"] != nil:
		return "Strip", nil
	case o.m["normalizers"] != nil:
		return "Sequence", nil
	case o.m["precompiled_charsmap"] != nil:
		return "Precompiled", nil
	case o.m["pattern"] != nil && o.m["content"] != nil:
		return "Replace", nil
	case o.m["prepend"] != nil:
		return "Prepend", nil
	}
	return "", unsupportedErr(o.path, "normalizer without a \"type\" whose fields match no known normalizer")
}

// A startDropper is a normalizer that can delete characters. dropsStart
// reports whether normalizing s (non-empty) deletes its first character.
// The reference then aligns the normalized text to a later offset of the
// input, and the Metaspace "first" scheme, which prepends only at offset
// 0, no longer prepends: "\x01ab" under Nmt encodes as "a" "b", not "▁ab".
type startDropper interface {
	dropsStart(s string) bool
}

// normalizeFrom normalizes s and reports whether the result still starts
// where s does, at s's first character or what it became.
func normalizeFrom(n normalizer, s string) (string, bool) {
	if seq, ok := n.(normalizerSequence); ok {
		kept := true
		for _, m := range seq {
			var k bool
			s, k = normalizeFrom(m, s)
			kept = kept && k
		}
		return s, kept
	}
	kept := true
	if d, ok := n.(startDropper); ok && s != "" {
		kept = !d.dropsStart(s)
	}
	return n.normalize(s), kept
}

// firstVanishes reports whether n deletes the first character of s, for
// normalizers that treat each character on its own. It allocates: keep it
// off the common paths.
func firstVanishes(n normalizer, s string) bool {
	_, size := utf8.DecodeRuneInString(s)
	return n.normalize(s[:size]) == ""
}

type normalizerSequence []normalizer

func (seq normalizerSequence) normalize(s string) string {
	for _, n := range seq {
		s = n.normalize(s)
	}
	return s
}

// unicodeNormalizer applies a Unicode normalization form. The reference's
// tables are older than Go's: characters assigned since, which it leaves
// alone, are kept as they are and the text is normalized around them.
type unicodeNormalizer struct {
	form   norm.Form
	frozen *unicode.RangeTable
}

var (
	nfc  = unicodeNormalizer{norm.NFC, frozenNFC}
	nfd  = unicodeNormalizer{norm.NFD, frozenNFD}
	nfkc = unicodeNormalizer{norm.NFKC, frozenNFKC}
	nfkd = unicodeNormalizer{norm.NFKD, frozenNFKD}
)

func (u unicodeNormalizer) normalize(s string) string {
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	start := 0
	for i, r := range s {
		if r >= 0x80 && unicode.Is(u.frozen, r) {
			b.WriteString(u.form.String(s[start:i]))
			b.WriteRune(r)
			start = i + utf8.RuneLen(r)
		}
	}
	if start == 0 {
		return u.form.String(s)
	}
	b.WriteString(u.form.String(s[start:]))
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// lowercase maps each character to its full lowercase mapping as the
// reference (Rust's char::to_lowercase) has it: refLower, measured on the
// reference, so that Go's Unicode version does not matter; "İ" becomes
// "i\u0307", and there are no context rules (final sigma).
type lowercase struct{}

func (lowercase) normalize(s string) string {
	if isLowerASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			b.WriteByte(byte(r) + 'a' - 'A')
		case r < 0x80:
			b.WriteByte(byte(r))
		default:
			b.WriteString(lowerRune(r))
		}
	}
	return b.String()
}

func lowerRune(r rune) string {
	i := sort.Search(len(refLower), func(i int) bool { return refLower[i].r >= r })
	if i < len(refLower) && refLower[i].r == r {
		return refLower[i].to
	}
	return string(r)
}

func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x80 || (c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// stripAccents removes combining marks (general category M).
type stripAccents struct{}

func (stripAccents) normalize(s string) string {
	return strings.Map(func(r rune) rune {
		if isMark(r) {
			return -1
		}
		return r
	}, s)
}

func (stripAccents) dropsStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isMark(r)
}

type strip struct{ left, right bool }

func newStrip(o object) (normalizer, error) {
	l, err := o.optBool("strip_left", true)
	if err != nil {
		return nil, err
	}
	r, err := o.optBool("strip_right", true)
	return strip{l, r}, err
}

func (st strip) normalize(s string) string {
	if st.left {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
	}
	if st.right {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
	}
	return s
}

func (st strip) dropsStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return st.left && unicode.IsSpace(r)
}

// prepend puts a fixed string in front of every non-empty segment.
type prepend string

func (p prepend) normalize(s string) string {
	if s == "" {
		return s
	}
	return string(p) + s
}

// replace substitutes content for every match of a string or a regex.
type replace struct {
	m       matcher
	literal string // the pattern when it is a plain string
	content string
}

func newReplace(o object) (*replace, error) {
	lit, re, isRegex, err := o.pattern("pattern")
	if err != nil {
		return nil, err
	}
	content, err := o.optStr("content", "")
	if err != nil {
		return nil, err
	}
	r := &replace{content: content}
	switch {
	case !isRegex:
		if lit == "" {
			return nil, formatErr(o.at("pattern"), "empty pattern")
		}
		r.m, r.literal = literalMatcher(lit), lit
	default:
		compiled, err := compileRegex(re, o.at("pattern.Regex"))
		if err != nil {
			return nil, err
		}
		r.m = regexMatcher{compiled}
	}
	return r, nil
}

func (r *replace) normalize(s string) string {
	if r.literal != "" {
		return strings.ReplaceAll(s, r.literal, r.content)
	}
	return replaceMatches(s, r.m, r.content)
}

// dropsStart reports whether a match at the very start moves the text's
// start off offset 0. The reference aligns inserted content with the last
// character of the match, so replacing one character keeps the start and
// replacing more, or replacing with nothing, loses it.
func (r *replace) dropsStart(s string) bool {
	end := 0
	if r.literal != "" {
		if strings.HasPrefix(s, r.literal) {
			end = len(r.literal)
		}
	} else if m := r.m.findAll(nil, s); len(m) > 0 && m[0][0] == 0 {
		end = m[0][1]
	}
	if end == 0 {
		return false
	}
	_, first := utf8.DecodeRuneInString(s)
	return r.content == "" || end > first
}

func replaceMatches(s string, m matcher, content string) string {
	matches := m.findAll(nil, s)
	if len(matches) == 0 {
		return s
	}
	var b strings.Builder
	prev := 0
	for _, mt := range matches {
		b.WriteString(s[prev:mt[0]])
		b.WriteString(content)
		prev = mt[1]
	}
	b.WriteString(s[prev:])
	return b.String()
}

// nmt is SentencePiece's NMT normalization: drop control characters, turn
// a few separators into spaces.
type nmt struct{}

func (nmt) normalize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case nmtDeletes(r):
			return -1
		case r == 0x09, r == 0x0A, r == 0x0C, r == 0x0D, r == 0x1680, r >= 0x200B && r <= 0x200F,
			r == 0x2028, r == 0x2029, r == 0x2581, r == 0xFEFF, r == 0xFFFD:
			return ' '
		}
		return r
	}, s)
}

func (nmt) dropsStart(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return nmtDeletes(r)
}

// nmtDeletes reports whether r is a control character nmt drops.
func nmtDeletes(r rune) bool {
	return r >= 0x01 && r <= 0x08 || r == 0x0B || r >= 0x0E && r <= 0x1F || r == 0x7F || r == 0x8F || r == 0x9F
}

// byteLevelNormalizer spells every byte in the byte-level alphabet.
type byteLevelNormalizer struct{}

func (byteLevelNormalizer) normalize(s string) string { return string(spellBytes(nil, s)) }
