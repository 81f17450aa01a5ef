package tokenizer

import (
	"strings"
	"unicode/utf8"

	"github.com/dlclark/regexp2"
)

// A matcher finds the delimiters a split cuts a piece at.
type matcher interface {
	// findAll appends the byte ranges of the non-overlapping matches in s,
	// leftmost first, as the reference's find_iter does.
	findAll(dst [][2]int, s string) [][2]int
}

// literalMatcher matches every occurrence of a fixed string.
type literalMatcher string

func (l literalMatcher) findAll(dst [][2]int, s string) [][2]int {
	for i := 0; i <= len(s); {
		j := strings.Index(s[i:], string(l))
		if j < 0 {
			break
		}
		dst = append(dst, [2]int{i + j, i + j + len(l)})
		i += j + len(l)
	}
	return dst
}

// runeMatcher matches each character for which its function is true, one
// match per character, as the reference does for character predicates.
type runeMatcher func(rune) bool

func (f runeMatcher) findAll(dst [][2]int, s string) [][2]int {
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if f(r) {
			dst = append(dst, [2]int{i, i + w})
		}
		i += w
	}
	return dst
}

// regexMatcher runs a backtracking regular expression (lookaround and all),
// for patterns no hand-written scanner knows.
type regexMatcher struct {
	re *regexp2.Regexp
}

// compileRegex compiles a pattern written for the reference's Oniguruma
// engine. regexp2 shares its syntax for everything tokenizer files use:
// Unicode classes, lookaround, inline flags.
func compileRegex(pattern, path string) (*regexp2.Regexp, error) {
	re, err := regexp2.Compile(pattern, regexp2.None)
	if err != nil {
		return nil, unsupportedErr(path, "regular expression %q: %v", pattern, err)
	}
	return re, nil
}

func (m regexMatcher) findAll(dst [][2]int, s string) [][2]int {
	if s == "" {
		return dst
	}
	runes := []rune(s)
	// offs[i] is the byte offset of rune i; []rune turns each invalid byte
	// into one rune, as DecodeRuneInString steps over it.
	offs := make([]int, 0, len(runes)+1)
	for i := 0; i < len(s); {
		offs = append(offs, i)
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	offs = append(offs, len(s))
	m0, err := m.re.FindRunesMatch(runes)
	for err == nil && m0 != nil {
		dst = append(dst, [2]int{offs[m0.Index], offs[m0.Index+m0.Length]})
		m0, err = m.re.FindNextMatch(m0)
	}
	return dst
}
