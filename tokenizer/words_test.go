package tokenizer

import (
	"slices"
	"strings"
	"testing"
)

// EncodeWords is Encode cut at word boundaries, and EncodeWord gives each
// word the ids it has in context: checked on the conformance corpus, whose
// ids the conformance test pins to the reference.
func TestEncodeWords(t *testing.T) {
	lines := corpus(t)
	for _, name := range conformanceTokenizers {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && !strings.HasPrefix(tokenizerPath(name), "testdata") {
				t.Skip("shared tokenizers only without -short")
			}
			tk := loadNamed(t, name)
			step := 1
			if testing.Short() {
				step = 13
			}
			bad := 0
			for i := 0; i < len(lines) && bad < 5; i += step {
				var all []int
				tk.EncodeWords(lines[i], func(word []byte, ids []int) {
					all = append(all, ids...)
					if word == nil {
						if len(ids) != 1 {
							t.Errorf("line %d: added token with ids %v", i, ids)
						}
						return
					}
					if got := tk.EncodeWord(string(word)); !slices.Equal(got, ids) {
						bad++
						t.Errorf("line %d: EncodeWord(%q) = %v, in context %v", i, clip(string(word)), clipIDs(got), clipIDs(ids))
					}
				})
				if want := tk.Encode(lines[i], false); !slices.Equal(all, want) {
					bad++
					t.Errorf("line %d %q: EncodeWords gives %v, Encode %v", i, clip(lines[i]), clipIDs(all), clipIDs(want))
				}
			}
		})
	}
}

func TestEncodeWordsSpelling(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"gpt2", "Hello world", []string{"Hello", "Ġworld"}},
		{"mistral-legacy", "Hello world", []string{"▁Hello▁world"}},
		{"t5-small", "Hello world", []string{"▁Hello", "▁world"}},
		{"bert-base-uncased", "Hello, World", []string{"hello", ",", "world"}},
		{"qwen3", "<|im_start|>hi", []string{"", "hi"}},
	} {
		tk := loadNamed(t, tc.name)
		var got []string
		tk.EncodeWords(tc.text, func(word []byte, _ []int) { got = append(got, string(word)) })
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: words of %q = %q, want %q", tc.name, tc.text, got, tc.want)
		}
	}
}
