package tokenizer

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
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
// engine. regexp2 shares its syntax for what tokenizer files use (Unicode
// classes, lookaround, inline flags); the few Oniguruma-only forms are
// translated, or refused when regexp2 would read them differently.
func compileRegex(pattern, path string) (*regexp2.Regexp, error) {
	translated, err := fromOniguruma(pattern)
	if err != nil {
		return nil, unsupportedErr(path, "regular expression %q: %v", pattern, err)
	}
	// ^ and $ match at line breaks in Oniguruma's Ruby syntax.
	re, err := regexp2.Compile(translated, regexp2.Multiline)
	if err != nil {
		return nil, unsupportedErr(path, "regular expression %q: %v", pattern, err)
	}
	return re, nil
}

// posixClasses are Oniguruma's bracket expressions, with Unicode meaning.
var posixClasses = map[string]string{
	"alpha": `\p{L}\p{Nl}\p{Mn}\p{Mc}`, "digit": `\p{Nd}`, "alnum": `\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}`,
	"upper": `\p{Lu}`, "lower": `\p{Ll}`, "space": `\s`, "punct": `\p{P}`, "xdigit": `0-9A-Fa-f`,
	"word": onigWord, "cntrl": `\p{Cc}`, "blank": `\p{Zs}\t`,
}

// onigWord is what \w matches inside an Oniguruma character class, as
// class members: letters, marks, decimal and letter numbers, connector
// punctuation and the other alphabetic characters (circled letters).
// regexp2's \w leaves out spacing and enclosing marks, letter numbers and
// the circled letters, and adds the zero-width joiners. A bare \w, and
// \b, also take the superscript digits and vulgar fractions of Latin-1
// (onigBareWord).
var onigWord = func() string {
	var b strings.Builder
	b.WriteString(`\p{L}\p{M}\p{Nd}\p{Nl}\p{Pc}`)
	lo, hi := rune(-1), rune(-1) // a run of other alphabetic characters
	flush := func() {
		if lo >= 0 {
			fmt.Fprintf(&b, "%c-%c", lo, hi)
		}
	}
	visit := func(r rune) {
		switch {
		case unicode.In(r, unicode.L, unicode.M, unicode.Nl):
		case lo >= 0 && r == hi+1:
			hi = r
		default:
			flush()
			lo, hi = r, r
		}
	}
	for _, rg := range unicode.Other_Alphabetic.R16 {
		for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
			visit(r)
		}
	}
	for _, rg := range unicode.Other_Alphabetic.R32 {
		for r := rune(rg.Lo); r <= rune(rg.Hi); r += rune(rg.Stride) {
			visit(r)
		}
	}
	flush()
	return b.String()
}()

var onigBareWord = onigWord + "²³¹¼½¾"

// wordBoundary is \b (false) and \B (true) written with onigBareWord.
var wordBoundary = map[bool]string{
	false: "(?:(?<=[" + onigBareWord + "])(?![" + onigBareWord + "])|(?<![" + onigBareWord + "])(?=[" + onigBareWord + "]))",
	true:  "(?:(?<=[" + onigBareWord + "])(?=[" + onigBareWord + "])|(?<![" + onigBareWord + "])(?![" + onigBareWord + "]))",
}

// fromOniguruma rewrites Oniguruma-only syntax for regexp2: the inline
// option m (dot matches newline, regexp2's s), \h and \H (hex digits), POSIX bracket expressions such as [[:alpha:]], and nested
// character classes, which Oniguruma reads as unions ([a[bc]] is [abc]) and
// regexp2 as literal brackets. Negated nested classes and intersections
// (&&) are refused.
func fromOniguruma(p string) (string, error) {
	var b strings.Builder
	inClass := false
	nested := 0 // depth of nested classes inside the current one
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\\' && i+1 < len(p):
			switch p[i+1] {
			case 'h':
				b.WriteString(map[bool]string{true: "0-9a-fA-F", false: "[0-9a-fA-F]"}[inClass])
			case 'H':
				if inClass {
					return "", errors.New("\\H inside a character class")
				}
				b.WriteString("[^0-9a-fA-F]")
			case 'w':
				b.WriteString(map[bool]string{true: onigWord, false: "[" + onigBareWord + "]"}[inClass])
			case 'W':
				if inClass {
					b.WriteString(`\W`) // a union with a complement: regexp2's \W, nearly the same
				} else {
					b.WriteString("[^" + onigBareWord + "]")
				}
			case 'b', 'B':
				if inClass { // a backspace
					b.WriteString(p[i : i+2])
				} else {
					b.WriteString(wordBoundary[p[i+1] == 'B'])
				}
			default:
				b.WriteString(p[i : i+2])
			}
			i++
		case c == '(' && !inClass && strings.HasPrefix(p[i:], "(?"):
			// Ruby's option m is dot-matches-newline, .NET's s.
			j := i + 2
			for j < len(p) && strings.IndexByte("imx-", p[j]) >= 0 {
				j++
			}
			if j < len(p) && (p[j] == ':' || p[j] == ')') {
				b.WriteString("(?" + strings.ReplaceAll(p[i+2:j], "m", "s"))
				i = j - 1
			} else {
				b.WriteByte(c)
			}
		case c == '[' && !inClass:
			inClass = true
			b.WriteByte(c)
			if strings.HasPrefix(p[i+1:], "^") {
				b.WriteByte('^')
				i++
			}
			if strings.HasPrefix(p[i+1:], "]") { // a leading ] is literal
				b.WriteString(`\]`)
				i++
			}
		case c == '[' && strings.HasPrefix(p[i:], "[:"):
			end := strings.Index(p[i:], ":]")
			if end < 0 {
				return "", errors.New("unterminated POSIX bracket expression")
			}
			name := p[i+2 : i+end]
			class, ok := posixClasses[name]
			if !ok {
				return "", fmt.Errorf("POSIX bracket expression [:%s:]", name)
			}
			b.WriteString(class)
			i += end + 1
		case c == '[':
			// A nested class is a union in Oniguruma: its members join the
			// outer class. A negated one cannot be written that way.
			if strings.HasPrefix(p[i+1:], "^") {
				return "", errors.New("negated nested character class")
			}
			nested++
		case c == '&' && inClass && strings.HasPrefix(p[i:], "&&"):
			return "", errors.New("character class intersection (&&)")
		case c == ']' && nested > 0:
			nested--
		case c == ']' && inClass:
			inClass = false
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
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
