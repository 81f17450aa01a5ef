package tokenizer

import (
	"slices"
	"testing"
)

// TestOnigurumaSyntax: patterns whose Oniguruma reading regexp2 does not
// share split as the reference splits them. The expected pieces were
// printed by the reference's Split pre-tokenizer (npm tokenizers 0.23.2,
// preTokenizeString).
func TestOnigurumaSyntax(t *testing.T) {
	const text = "ab ٣٤ é x\u00a0y 12 ǆ Ǆ fA"
	const words = "नमस्कार का x²y Ⓐb a\u200db ᛮ҈"
	tests := []struct {
		pattern, text string
		want          []string
	}{
		{`\d+`, text, []string{"ab ", "٣٤", " é x\u00a0y ", "12", " ǆ Ǆ fA"}},
		{`[[:alpha:]]+`, text, []string{"ab", " ٣٤ ", "é", " ", "x", "\u00a0", "y", " 12 ", "ǆ", " ", "Ǆ", " ", "fA"}},
		{`\h+`, text, []string{"ab", " ٣٤ é x\u00a0y ", "12", " ǆ Ǆ ", "fA"}},
		{`^a`, "ab\nab\na", []string{"a", "b\n", "a", "b\n", "a"}},
		{`(?m:.)+`, "ab\nab\na", []string{"ab\nab\na"}},
		{`.+`, "ab\nab\na", []string{"ab", "\n", "ab", "\n", "a"}},
		// Oniguruma's \w: spacing marks (ा), circled letters, letter numbers
		// (ᛮ) and enclosing marks, not the zero-width joiner; a bare \w and
		// \b also take ².
		{`\w+`, words, []string{"नमस्कार", " ", "का", " ", "x²y", " ", "Ⓐb", " ", "a", "\u200d", "b", " ", "ᛮ҈"}},
		{`\W+`, words, []string{"नमस्कार", " ", "का", " ", "x²y", " ", "Ⓐb", " ", "a", "\u200d", "b", " ", "ᛮ҈"}},
		{`\b`, words, []string{"नमस्कार", " ", "का", " ", "x²y", " ", "Ⓐb", " ", "a", "\u200d", "b", " ", "ᛮ҈"}},
		{`\B\w`, words, []string{"न", "म", "स", "्", "क", "ा", "र", " क", "ा", " x", "²", "y", " Ⓐ", "b", " a\u200db ᛮ", "҈"}},
		{`[[:word:]]+`, words, []string{"नमस्कार", " ", "का", " ", "x", "²", "y", " ", "Ⓐb", " ", "a", "\u200d", "b", " ", "ᛮ҈"}},
		{`[\w-]+`, words, []string{"नमस्कार", " ", "का", " ", "x", "²", "y", " ", "Ⓐb", " ", "a", "\u200d", "b", " ", "ᛮ҈"}},
		{` ?[^(\s|[.,!?…。，、।۔،])]+`, "Hello, world! (x|y) 数学。テスト…ok", // BLOOM
			[]string{"Hello", ",", " world", "! (", "x", "|", "y", ")", " 数学", "。", "テスト", "…", "ok"}},
	}
	for _, tc := range tests {
		re, err := compileRegex(tc.pattern, "test")
		if err != nil {
			t.Errorf("%s: %v", tc.pattern, err)
			continue
		}
		var got []string
		for _, p := range splitWith(nil, piece{text: tc.text}, regexMatcher{re}, isolated, false, &scratch{}) {
			got = append(got, p.text)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s:\n got  %q\n want %q", tc.pattern, got, tc.want)
		}
	}
	for _, bad := range []string{`[a[^b]]`, `[a-z&&[^aeiou]]`, `[[:graph:]]`, `((`} {
		if _, err := compileRegex(bad, "test"); err == nil {
			t.Errorf("%s: compiled; want an unsupported-pattern error", bad)
		}
	}
}
