package tokenizer

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// bertNormalizer is BERT's text cleaning: drop control characters, turn
// whitespace into spaces, surround CJK ideographs with spaces, strip
// accents and lowercase.
type bertNormalizer struct {
	cleanText, chineseChars, stripAccents, lowercase bool
}

func newBertNormalizer(o object) (normalizer, error) {
	var b bertNormalizer
	var err error
	if b.cleanText, err = o.optBool("clean_text", true); err != nil {
		return nil, err
	}
	if b.chineseChars, err = o.optBool("handle_chinese_chars", true); err != nil {
		return nil, err
	}
	if b.lowercase, err = o.optBool("lowercase", true); err != nil {
		return nil, err
	}
	// A null strip_accents follows lowercase.
	if b.stripAccents, err = o.optBool("strip_accents", b.lowercase); err != nil {
		return nil, err
	}
	return b, nil
}

func (b bertNormalizer) dropsStart(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	if b.cleanText && (r == 0 || r == 0xFFFD || isBertControl(r)) {
		return true
	}
	if !b.stripAccents {
		return false
	}
	d := norm.NFD.PropertiesString(s[:size]).Decomposition()
	if d == nil {
		return isNonspacing(r)
	}
	if first, _ := utf8.DecodeRune(d); !isNonspacing(first) {
		return false // a base character with accents
	}
	return firstVanishes(b, s) // marks only, perhaps all stripped
}

func (b bertNormalizer) normalize(s string) string {
	if b.cleanText || b.chineseChars {
		var sb strings.Builder
		sb.Grow(len(s))
		for _, r := range s {
			if b.cleanText {
				if r == 0 || r == 0xFFFD || isBertControl(r) {
					continue
				}
				if r == '\t' || r == '\n' || r == '\r' || unicode.IsSpace(r) {
					r = ' '
				}
			}
			if b.chineseChars && isCJK(r) {
				sb.WriteByte(' ')
				sb.WriteRune(r)
				sb.WriteByte(' ')
				continue
			}
			sb.WriteRune(r)
		}
		s = sb.String()
	}
	if b.stripAccents {
		s = strings.Map(func(r rune) rune {
			if isNonspacing(r) {
				return -1
			}
			return r
		}, nfd.normalize(s))
	}
	if b.lowercase {
		s = lowercase{}.normalize(s)
	}
	return s
}

// isBertControl reports the characters BERT's cleaning drops: categories
// Cc, Cf, Co and Cs except tab, newline and carriage return, which count as
// whitespace. Unassigned code points are kept, as the reference keeps them.
func isBertControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	if inRefPlanes(r) {
		return unicode.Is(refControl, r)
	}
	return unicode.In(r, unicode.Cc, unicode.Cf, unicode.Co, unicode.Cs)
}

// inRefPlanes reports whether unicode_tables.go, measured on the reference,
// covers r; beyond it Go's own tables answer.
func inRefPlanes(r rune) bool { return r < 0x40000 || (r >= 0xE0000 && r <= 0xEFFFF) }

// isCJK reports the CJK Unified Ideograph blocks BERT pads with spaces.
func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) || (r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B920 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}

// isPunct is the reference's punctuation test for BERT and the Punctuation
// pre-tokenizer: ASCII punctuation or general category P.
func isPunct(r rune) bool {
	if r < 0x80 {
		return (r >= '!' && r <= '/') || (r >= ':' && r <= '@') || (r >= '[' && r <= '`') || (r >= '{' && r <= '~')
	}
	if inRefPlanes(r) {
		return unicode.Is(refPunct, r)
	}
	return unicode.IsPunct(r)
}

func isNonspacing(r rune) bool {
	if inRefPlanes(r) {
		return unicode.Is(refNonspacing, r)
	}
	return unicode.Is(unicode.Mn, r)
}

// isMark is the StripAccents normalizer's test: a combining mark.
func isMark(r rune) bool {
	if inRefPlanes(r) {
		return unicode.Is(refMark, r)
	}
	return unicode.Is(unicode.M, r)
}
