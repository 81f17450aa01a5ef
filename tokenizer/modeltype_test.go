package tokenizer

import (
	"path/filepath"
	"testing"
)

func TestModelType(t *testing.T) {
	for _, tc := range []struct{ dir, want string }{
		{"tokenizers/gpt2", "BPE"},
		{"tokenizers/bert-base-uncased", "WordPiece"},
		{"tokenizers/t5-small", "Unigram"},
		{"synthetic/synth-wordlevel", "WordLevel"},
	} {
		tok, err := Load(filepath.Join("testdata", tc.dir))
		if err != nil {
			t.Fatal(err)
		}
		if got := tok.ModelType(); got != tc.want {
			t.Errorf("%s: ModelType() = %q, want %q", tc.dir, got, tc.want)
		}
	}
}
