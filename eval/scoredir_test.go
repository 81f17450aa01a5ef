package eval_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/eval"
)

// A tokenizer may hold ids past the model's rows (Gemma 3's image token):
// text that never encodes to them scores as if they were absent, and text
// that does gets an error naming the token.
func TestScoreDirTokenizerLargerThanModel(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"config.json", "model.safetensors", "tokenizer_config.json", "generation_config.json"} {
		b, err := os.ReadFile(filepath.Join(exampleBase, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(exampleBase, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	var tok map[string]any
	if err := json.Unmarshal(b, &tok); err != nil {
		t.Fatal(err)
	}
	tok["added_tokens"] = append(tok["added_tokens"].([]any), map[string]any{
		"id": 32000, "content": "<image>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true,
	})
	if b, err = json.Marshal(tok); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}

	text := []byte("In the beginning God created the heaven and the earth.\n")
	ctx := context.Background()
	want, err := eval.ScoreDir(ctx, exampleBase, text, eval.Options{Context: 64})
	if err != nil {
		t.Fatal(err)
	}
	got, err := eval.ScoreDir(ctx, dir, text, eval.Options{Context: 64})
	if err != nil {
		t.Fatal(err)
	}
	if got.BitsPerByte != want.BitsPerByte || got.Tokens != want.Tokens {
		t.Fatalf("%v bits/byte over %d tokens, want %v over %d", got.BitsPerByte, got.Tokens, want.BitsPerByte, want.Tokens)
	}
	_, err = eval.ScoreDir(ctx, dir, []byte("a picture: <image> of the earth\n"), eval.Options{Context: 64})
	if err == nil || !strings.Contains(err.Error(), `"<image>", id 32000`) {
		t.Fatalf("error %v, want one naming the token past the model's rows", err)
	}
}
