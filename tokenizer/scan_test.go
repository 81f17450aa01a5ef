package tokenizer

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// The hand-written scanners must find exactly the matches the regular
// expression engine finds for their pattern.

var scanners = []matcher{
	gpt2Matcher{},
	cl100kMatcher{fold: true, maxDigits: 3}, // Llama 3, GPT-4
	cl100kMatcher{fold: true, maxDigits: 1}, // Qwen 2/3
	cl100kMatcher{fold: false, maxDigits: 0},
	cl100kMatcher{fold: true, maxDigits: 2},
}

func scannerPattern(m matcher) string {
	switch m := m.(type) {
	case gpt2Matcher:
		return gpt2Pattern
	case cl100kMatcher:
		return m.pattern()
	}
	panic("unknown scanner")
}

func referenceMatcher(tb testing.TB, m matcher) regexMatcher {
	re, err := compileRegex(scannerPattern(m), "test")
	if err != nil {
		tb.Fatal(err)
	}
	return regexMatcher{re}
}

func checkScanner(t *testing.T, m matcher, ref regexMatcher, s string) {
	t.Helper()
	got := m.findAll(nil, s)
	want := ref.findAll(nil, s)
	if !slices.Equal(got, want) {
		t.Fatalf("%T%+v on %q:\n got  %v\n want %v", m, m, s, got, want)
	}
}

func TestKnownMatcherRecognizesRealPatterns(t *testing.T) {
	for _, name := range []string{"llama3", "qwen3"} {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && !strings.HasPrefix(tokenizerPath(name), "testdata") {
				t.Skip("shared tokenizers only without -short")
			}
			tk := loadNamed(t, name)
			seq, ok := tk.pre.(preTokenizerSequence)
			if !ok {
				t.Fatalf("pre-tokenizer is %T", tk.pre)
			}
			sp, ok := seq[0].(*split)
			if !ok {
				t.Fatalf("first pre-tokenizer is %T", seq[0])
			}
			if _, ok := sp.m.(cl100kMatcher); !ok {
				t.Errorf("split pattern runs on %T, want the cl100k scanner", sp.m)
			}
		})
	}
}

// trickyAlphabet mixes the characters the patterns treat differently.
var trickyAlphabet = []string{
	"a", "Z", "é", "ß", "数", "ि", "\u0301", "1", "٣", "½", "Ⅻ", "'", "'s", "'S", "'ll", "'LL", "'re", "'Ve", "'d", "'m", "'t", "'x",
	" ", "  ", "\t", "\n", "\r", "\r\n", "\u00a0", "\u3000", "\u2028", "\u0085", "\v", "\f",
	".", ",", "!", "?", "-", "$", "€", "😀", "🇫🇷", "\u200d", "_", "\x00", "\xff", "\xe2\x82", "ſ", "K",
}

func randomTricky(r *rand.Rand) string {
	var b strings.Builder
	for n := r.IntN(12); n >= 0; n-- {
		b.WriteString(trickyAlphabet[r.IntN(len(trickyAlphabet))])
	}
	return b.String()
}

func TestScannersMatchRegex(t *testing.T) {
	lines := corpus(t)
	r := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 1000
		lines = lines[:len(lines)/10]
	}
	for _, m := range scanners {
		ref := referenceMatcher(t, m)
		for _, s := range lines {
			checkScanner(t, m, ref, s)
		}
		for range n {
			checkScanner(t, m, ref, randomTricky(r))
		}
	}
}

func FuzzScanners(f *testing.F) {
	for _, s := range []string{"Hello world", "  \n\n x", "I'M 12345 'll", "\xff\xfe '", "a\u00a0\u00a0b", "数学123"} {
		f.Add(s)
	}
	refs := make([]regexMatcher, len(scanners))
	for i, m := range scanners {
		refs[i] = referenceMatcher(f, m)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i, m := range scanners {
			checkScanner(t, m, refs[i], s)
		}
	})
}
