package tokenizer

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// FuzzEncode runs every stage on arbitrary bytes with tokenizers of every
// model kind: no panic, no hang, EncodeWords is Encode cut in words, and
// what a byte-level tokenizer encodes decodes and spells back to the
// (sanitized) input.
func FuzzEncode(f *testing.F) {
	for _, s := range []string{"Hello, world!", "  \t\n\r\n x", "<|endoftext|>", "[CLS] a [SEP]", "<s>▁x</s>",
		"\xff\xfe\xe2\x82", "数学 🤖 'll 12345", strings.Repeat("a", 300), "İi ﬁ ǅ", "\x00\u200d"} {
		f.Add(s)
	}
	names := []string{"gpt2", "bert-base-uncased", "t5-small", "mistral-legacy", "mistral-7b-v0.1", "qwen3",
		"clip-vit-base-patch32", "synth-bytelevel-added", "synth-unigram", "synth-pretokenizers", "synth-wordlevel",
		"synth-metaspace-first", "synth-unicode-scripts", "synth-regex-word"}
	tks := make([]*Tokenizer, len(names))
	for i, n := range names {
		tks[i] = loadNamed(f, n)
	}
	gpt2 := tks[0]
	f.Fuzz(func(t *testing.T, s string) {
		for _, tk := range tks {
			ids := tk.Encode(s, true)
			tk.Decode(ids, false)
			tk.Decode(ids, true)
			var words []int
			tk.EncodeWords(s, func(_ []byte, ids []int) { words = append(words, ids...) })
			if want := tk.Encode(s, false); !slices.Equal(words, want) {
				t.Errorf("EncodeWords(%q) gives %v, Encode %v", s, words, want)
			}
			surf := tk.EncodeSurface([]byte(s))
			// Exclude a token the input itself uses, when there is one.
			if len(surf) > 0 {
				ex := surf[len(s)%len(surf)]
				if slices.Contains(tk.EncodeSurfaceExcluding([]byte(s), ex), ex) {
					t.Errorf("EncodeSurfaceExcluding(%q, %d) returned %d", s, ex, ex)
				}
			}
		}
		clean := validUTF8String(s)
		ids := gpt2.Encode(s, false)
		if got := gpt2.Decode(ids, false); got != clean {
			t.Errorf("gpt2: Decode(Encode(%q)) = %q", s, got)
		}
		if got := concatSurfaces(gpt2, ids); !bytes.Equal(got, []byte(clean)) {
			t.Errorf("gpt2: surfaces of Encode(%q) spell %q", s, got)
		}
		if got := concatSurfaces(gpt2, gpt2.EncodeSurface([]byte(s))); !bytes.Equal(got, []byte(s)) {
			t.Errorf("gpt2: surfaces of EncodeSurface(%q) spell %q", s, got)
		}
	})
}
