package tokenizer

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// concatSurfaces joins the surfaces of ids.
func concatSurfaces(tk *Tokenizer, ids []int) []byte {
	var b []byte
	for _, id := range ids {
		b = append(b, tk.Surface(id).Bytes...)
	}
	return b
}

// losslessSurface lists the tokenizers whose EncodeSurface can spell any
// byte string: byte-level vocabularies and byte-fallback ones.
var losslessSurface = []string{"gpt2", "roberta-base", "phi-2", "falcon-7b", "qwen3", "mistral-7b-v0.1", "mistral-legacy", "llama2", "llama3", "codellama-7b", "gemma3"}

// TestEncodeSurfaceRoundTrip: the surfaces of EncodeSurface(b) spell b
// again, for every corpus line and, where the vocabulary has every byte,
// for ill-formed UTF-8. Lines holding the space mark itself (▁) are left
// out for vocabularies that spell spaces with it: there the two cannot be
// told apart.
func TestEncodeSurfaceRoundTrip(t *testing.T) {
	lines := corpus(t)
	illFormed := []string{"\xff\xfe", "\xe2\x82", "a\x80b", "\xc0\xaf"}
	extra := []string{" ", "  leading", "<|endoftext|>"}
	for _, name := range losslessSurface {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && !strings.HasPrefix(tokenizerPath(name), "testdata") {
				t.Skip("shared tokenizers only without -short")
			}
			tk := loadNamed(t, name)
			inputs := append(extra, lines...)
			if allBytes(tk) {
				inputs = append(inputs, illFormed...)
			} else {
				t.Logf("%s: the vocabulary lacks some bytes; ill-formed UTF-8 not checked", name)
			}
			for i, s := range inputs {
				if testing.Short() && i%20 != 0 {
					continue
				}
				if tk.surfaceSpace != 0 && strings.ContainsRune(s, tk.surfaceSpace) {
					continue
				}
				got := concatSurfaces(tk, tk.EncodeSurface([]byte(s)))
				if !bytes.Equal(got, []byte(s)) {
					t.Fatalf("surfaces of EncodeSurface(%q) spell %q", clip(s), clip(string(got)))
				}
			}
		})
	}
}

// allBytes reports whether every single byte encodes to tokens that spell it.
func allBytes(tk *Tokenizer) bool {
	for b := range 256 {
		if !bytes.Equal(concatSurfaces(tk, tk.EncodeSurface([]byte{byte(b)})), []byte{byte(b)}) {
			return false
		}
	}
	return true
}

// TestEncodeSurfaceOfTokens reports, per tokenizer, how often a vocabulary
// token's own surface encodes back to that token alone, and checks that it
// does in the great majority of cases. The exceptions are tokens the model
// can never produce from their bytes: merges that lose to a lower-ranked
// overlapping pair, pieces spanning a pre-tokenizer boundary, continuation
// pieces (WordPiece ##, suffix-less CLIP pieces), byte-level tokens that
// end inside a UTF-8 character, and Unigram pieces that score lower than
// another segmentation.
func TestEncodeSurfaceOfTokens(t *testing.T) {
	minRate := map[string]float64{
		"gpt2": 0.99, "roberta-base": 0.99, "phi-2": 0.99, "falcon-7b": 0.90, "qwen3": 0.97,
		"mistral-7b-v0.1": 0.97, "mistral-legacy": 0.97, "llama2": 0.97, "codellama-7b": 0.97,
		"llama3": 0.97, "gemma3": 0.90, "bert-base-uncased": 0.70, "t5-small": 0.80, "clip-vit-base-patch32": 0.60,
	}
	for _, name := range conformanceTokenizers {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && !strings.HasPrefix(tokenizerPath(name), "testdata") {
				t.Skip("shared tokenizers only without -short")
			}
			tk := loadNamed(t, name)
			ok, total := 0, 0
			reasons := map[string]int{}
			var examples []string
			step := 1
			if testing.Short() {
				step = 25
			}
			for id := 0; id < tk.VocabSize(); id += step {
				s := tk.Surface(id)
				if s.Special || s.ByteFallback || s.Unused || len(s.Bytes) == 0 {
					continue
				}
				total++
				got := tk.EncodeSurface(s.Bytes)
				if slices.Equal(got, []int{id}) {
					ok++
					continue
				}
				reason := "merges reach another segmentation"
				switch {
				case s.Continuation:
					reason = "continuation piece"
				case !utf8.Valid(s.Bytes):
					reason = "partial UTF-8 character (the pre-tokenizer cuts there)"
				case preTokenizerCuts(tk, s.Bytes):
					reason = "the pre-tokenizer cuts it (spaces, digits, punctuation, marks)"
				}
				reasons[reason]++
				if len(examples) < 5 {
					tok, _ := tk.TokenString(id)
					examples = append(examples, fmt.Sprintf("%d %q -> %v", id, tok, got))
				}
			}
			rate := float64(ok) / float64(total)
			keys := make([]string, 0, len(reasons))
			for k := range reasons {
				keys = append(keys, fmt.Sprintf("%s: %d", k, reasons[k]))
			}
			sort.Strings(keys)
			t.Logf("%s: %d/%d tokens (%.2f%%) encode to themselves; exceptions: %s; e.g. %s",
				name, ok, total, 100*rate, strings.Join(keys, ", "), strings.Join(examples, "; "))
			if rate < minRate[name] {
				t.Errorf("rate %.4f below %.2f", rate, minRate[name])
			}
		})
	}
}

// preTokenizerCuts reports whether EncodeSurface's pre-tokenizer splits b
// into more than one word.
func preTokenizerCuts(tk *Tokenizer, b []byte) bool {
	if tk.surface.pre == nil {
		return false
	}
	s := string(b)
	if tk.surfaceSpace != 0 {
		s = strings.ReplaceAll(s, " ", string(tk.surfaceSpace))
	}
	return len(tk.surface.pre.preTokenize(nil, piece{text: s, id: -1, first: true}, &scratch{})) > 1
}

// TestSurfaces pins a few surfaces per kind of vocabulary.
func TestSurfaces(t *testing.T) {
	tests := []struct {
		tokenizer, token string
		want             Surface
	}{
		{"gpt2", "Ġhello", Surface{Bytes: []byte(" hello")}},
		{"gpt2", "Ċ", Surface{Bytes: []byte("\n")}},
		{"gpt2", "<|endoftext|>", Surface{Bytes: []byte("<|endoftext|>"), Special: true}},
		{"mistral-legacy", "▁Hello", Surface{Bytes: []byte(" Hello")}},
		{"mistral-legacy", "<0x0A>", Surface{Bytes: []byte("\n"), ByteFallback: true}},
		{"mistral-legacy", "<s>", Surface{Bytes: []byte("<s>"), Special: true}},
		{"bert-base-uncased", "##ing", Surface{Bytes: []byte("ing"), Continuation: true}},
		{"bert-base-uncased", "hello", Surface{Bytes: []byte("hello")}},
		{"t5-small", "▁hello", Surface{Bytes: []byte(" hello")}},
		{"clip-vit-base-patch32", "hello</w>", Surface{Bytes: []byte("hello")}},
		{"clip-vit-base-patch32", "hel", Surface{Bytes: []byte("hel"), Continuation: true}},
		{"phi-2", "  ", Surface{Bytes: []byte("  ")}}, // an added token of raw spaces
	}
	for _, tc := range tests {
		t.Run(tc.tokenizer+"/"+tc.token, func(t *testing.T) {
			tk := loadNamed(t, tc.tokenizer)
			id, ok := tk.ID(tc.token)
			if !ok {
				t.Fatalf("no token %q", tc.token)
			}
			got := tk.Surface(id)
			if !bytes.Equal(got.Bytes, tc.want.Bytes) || got.Special != tc.want.Special ||
				got.ByteFallback != tc.want.ByteFallback || got.Continuation != tc.want.Continuation || got.Unused {
				t.Errorf("Surface(%d) = %+v (%q), want %+v", id, got, got.Bytes, tc.want)
			}
		})
	}
	tk := loadNamed(t, "gpt2")
	if s := tk.Surface(tk.VocabSize()); !s.Unused {
		t.Errorf("id past the end: %+v", s)
	}
}
