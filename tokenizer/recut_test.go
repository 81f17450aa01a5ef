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

// Cuts and Starts give the byte offsets of each tokenizer's cut: Mistral's
// "   " covers three bytes GPT-2 spells as three lone spaces; Mistral's
// Encode adds a prefix space, so its first token starts before the text.
func TestCutsAndStarts(t *testing.T) {
	mistral, gpt2 := loadNamed(t, "mistral-7b-v0.1"), loadNamed(t, "gpt2")
	text := []byte("if x:\n    return y\n")
	// Mistral: "if" " x" ":" "\n" "   " " return" " y" "\n".
	wantCuts := []int{0, 2, 4, 5, 6, 9, 16, 18, 19}
	var cuts []int
	for off, c := range mistral.Cuts(text) {
		if c {
			cuts = append(cuts, off)
		}
	}
	if !slices.Equal(cuts, wantCuts) {
		t.Errorf("Mistral's cuts %v, want %v", cuts, wantCuts)
	}
	// GPT-2: "if" " x" ":" "\n" " " " " " " " return" " y" "\n".
	if got, want := gpt2.Starts(text, gpt2.Encode(string(text), false)), []int{0, 2, 4, 5, 6, 7, 8, 9, 16, 18}; !slices.Equal(got, want) {
		t.Errorf("GPT-2's starts %v, want %v", got, want)
	}
	if got := mistral.Starts(text, mistral.Encode(string(text), false)); len(got) < 2 || got[0] != -1 || got[1] != 2 {
		t.Errorf("Mistral's starts %v, want -1 (\"▁if\" begins with the prefix space), then 2", got)
	}
	if got := gpt2.Starts([]byte("abc"), gpt2.Encode("abd", false)); got != nil {
		t.Errorf("tokens that do not spell the text: starts %v, want none", got)
	}
}
