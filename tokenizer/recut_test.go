package tokenizer

import (
	"slices"
	"testing"
)

// Mistral's tokenizer has a token for three spaces where GPT-2's spells an
// indentation as lone spaces: those are recut, tokens both cut alike are
// not, and a tokenizer never recuts its own cut (Mistral's Encode adds a
// prefix space before the text, which is not marked).
func TestRecut(t *testing.T) {
	mistral, gpt2 := loadNamed(t, "mistral-7b-v0.1"), loadNamed(t, "gpt2")
	const code = "if x:\n    return y\n"
	for _, tc := range []struct {
		name        string
		base, fresh *Tokenizer
		text        string
		want        []bool // per token of fresh
	}{
		// GPT-2: "if" " x" ":" "\n" " " " " " " " return" " y" "\n";
		// Mistral: "if" " x" ":" "\n" "   " " return" " y" "\n"
		{"indentation", mistral, gpt2, code, []bool{false, false, false, false, true, true, true, false, false, false}},
		{"prose", mistral, gpt2, "a, b", []bool{false, false, false}},
		{"own cut", gpt2, gpt2, code, make([]bool, 10)},
		{"own cut, prefix space", mistral, mistral, code, make([]bool, len(mistral.Encode(code, false)))},
	} {
		got := Recut(tc.base, tc.fresh, []byte(tc.text), tc.fresh.Encode(tc.text, false))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: marks %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := Recut(mistral, gpt2, []byte("abc"), gpt2.Encode("abcd", false)); got != nil {
		t.Errorf("tokens that do not spell the text: marks %v, want none", got)
	}
}
