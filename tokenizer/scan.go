package tokenizer

import (
	"unicode"
	"unicode/utf8"
)

// Hand-written scanners for the pre-tokenizer regular expressions that
// nearly every byte-level tokenizer uses. They find exactly the matches the
// backtracking engine finds (scan_test.go checks this by differential
// fuzzing against regexp2) but run an order of magnitude faster. Any other
// pattern goes to regexMatcher.

// class is the character class that decides how the patterns treat a rune.
type class uint8

const (
	clsOther class = iota // [^\s\p{L}\p{N}]
	clsLetter
	clsNumber
	clsSpace
)

var asciiClass [128]class

func init() {
	for r := rune(0); r < 128; r++ {
		asciiClass[r] = slowClass(r)
	}
}

func slowClass(r rune) class {
	switch {
	case unicode.IsLetter(r):
		return clsLetter
	case unicode.IsNumber(r):
		return clsNumber
	case unicode.IsSpace(r):
		return clsSpace
	}
	return clsOther
}

// runeAt decodes the rune at byte i of s with its class; invalid bytes
// decode as one U+FFFD, which is clsOther.
func runeAt(s string, i int) (rune, class, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), asciiClass[c], 1
	}
	r, w := utf8.DecodeRuneInString(s[i:])
	return r, slowClass(r), w
}

// runOf returns the end of the run of runes of class c starting at i.
func runOf(s string, i int, c class) int {
	for i < len(s) {
		_, k, w := runeAt(s, i)
		if k != c {
			break
		}
		i += w
	}
	return i
}

// contraction returns the length of 's 't 're 've 'm 'll 'd at s[i:] (s[i]
// is the apostrophe), or 0.
func contraction(s string, i int, fold bool) int {
	lower := func(j int) byte {
		if j >= len(s) {
			return 0
		}
		c := s[j]
		if fold && c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		return c
	}
	switch lower(i + 1) {
	case 's', 't', 'm', 'd':
		return 2
	case 'r', 'v':
		if lower(i+2) == 'e' {
			return 3
		}
	case 'l':
		if lower(i+2) == 'l' {
			return 3
		}
	}
	return 0
}

// spaceRun matches \s+(?!\S)|\s+ at i, where s[i] is whitespace: the run,
// minus its last character when a non-space follows and the run is longer
// than one character.
func spaceRun(s string, i int) int {
	j := i
	last := 0
	for j < len(s) {
		_, k, w := runeAt(s, j)
		if k != clsSpace {
			break
		}
		j += w
		last = w
	}
	if j < len(s) && j-last > i {
		return j - last
	}
	return j
}

// gpt2Matcher scans the GPT-2 pattern
//
//	's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
type gpt2Matcher struct{}

const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

func (gpt2Matcher) findAll(dst [][2]int, s string) [][2]int {
	for i := 0; i < len(s); {
		end := gpt2Next(s, i)
		dst = append(dst, [2]int{i, end})
		i = end
	}
	return dst
}

func gpt2Next(s string, i int) int {
	if s[i] == '\'' {
		if n := contraction(s, i, false); n > 0 {
			return i + n
		}
	}
	j := i
	if s[i] == ' ' && i+1 < len(s) {
		j = i + 1
	}
	_, k, w := runeAt(s, j)
	if k != clsSpace {
		return runOf(s, j+w, k)
	}
	return spaceRun(s, i)
}

// cl100kMatcher scans the pattern family of GPT-4's cl100k, Llama 3 and
// Qwen 2/3:
//
//	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
//
// with or without (?i:...) and with any bound on the digit run.
type cl100kMatcher struct {
	fold      bool // contractions match case-insensitively
	maxDigits int  // longest run of \p{N} in one match; 0 for no bound
}

func (m cl100kMatcher) pattern() string {
	c := `'s|'t|'re|'ve|'m|'ll|'d`
	if m.fold {
		c = `(?i:` + c + `)`
	}
	d := `\p{N}+`
	switch m.maxDigits {
	case 0:
	case 1:
		d = `\p{N}`
	default:
		d = `\p{N}{1,` + string(rune('0'+m.maxDigits)) + `}`
	}
	return c + `|[^\r\n\p{L}\p{N}]?\p{L}+|` + d + `| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
}

func (m cl100kMatcher) findAll(dst [][2]int, s string) [][2]int {
	for i := 0; i < len(s); {
		end := m.next(s, i)
		dst = append(dst, [2]int{i, end})
		i = end
	}
	return dst
}

func isCRLF(c byte) bool { return c == '\r' || c == '\n' }

func (m cl100kMatcher) next(s string, i int) int {
	c := s[i]
	if c == '\'' {
		if n := contraction(s, i, m.fold); n > 0 {
			return i + n
		}
	}
	_, k, w := runeAt(s, i)
	switch k {
	case clsLetter:
		return runOf(s, i+w, clsLetter)
	case clsNumber:
		j := i + w
		for n := 1; (m.maxDigits == 0 || n < m.maxDigits) && j < len(s); n++ {
			_, k2, w2 := runeAt(s, j)
			if k2 != clsNumber {
				break
			}
			j += w2
		}
		return j
	}
	// [^\r\n\p{L}\p{N}]?\p{L}+ with the optional character present.
	if !isCRLF(c) && i+w < len(s) {
		if _, k2, w2 := runeAt(s, i+w); k2 == clsLetter {
			return runOf(s, i+w+w2, clsLetter)
		}
	}
	// ' ?[^\s\p{L}\p{N}]+[\r\n]*'
	j := i
	if c == ' ' && i+1 < len(s) {
		j = i + 1
	}
	if _, k2, w2 := runeAt(s, j); k2 == clsOther {
		j = runOf(s, j+w2, clsOther)
		for j < len(s) && isCRLF(s[j]) {
			j++
		}
		return j
	}
	// Whitespace: \s*[\r\n]+ ends after the run's last \r or \n.
	end := i
	lastNL := -1
	for end < len(s) {
		_, k2, w2 := runeAt(s, end)
		if k2 != clsSpace {
			break
		}
		if isCRLF(s[end]) {
			lastNL = end
		}
		end += w2
	}
	if lastNL >= 0 {
		return lastNL + 1
	}
	return spaceRun(s, i)
}

// knownMatcher returns a hand-written scanner for a pattern it knows.
func knownMatcher(pattern string) (matcher, bool) {
	if pattern == gpt2Pattern {
		return gpt2Matcher{}, true
	}
	for _, fold := range []bool{true, false} {
		for _, d := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9} {
			m := cl100kMatcher{fold: fold, maxDigits: d}
			if m.pattern() == pattern {
				return m, true
			}
		}
	}
	return nil, false
}
