package tokenizer

import (
	"slices"
	"testing"
)

// TestUnicodeScripts checks the words of the UnicodeScripts pre-tokenizer
// against the reference's (its preTokenizeString on the same texts).
func TestUnicodeScripts(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{" a1b", []string{"a", "1", "b"}},
		{"漢あアー字", []string{"漢あアー字"}},
		{"a  b ", []string{"a  b "}},
		{"  ", nil},
		{"a\u0301", []string{"a", "\u0301"}},
		{"Hello, мир!", []string{"Hello", ", ", "мир", "!"}},
		{"x\U0010FFFFy", []string{"x\U0010FFFFy"}},
		{"1 2", []string{"1 2"}},
		{"αβγ abc", []string{"αβγ ", "abc"}},
	}
	for _, tt := range tests {
		var got []string
		for _, p := range (unicodeScripts{}).preTokenize(nil, piece{text: tt.in, id: -1}, nil) {
			got = append(got, p.text)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}
