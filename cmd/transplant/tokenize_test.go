package main

import (
	"bytes"
	"strings"
	"testing"
)

func runCmd(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetIn(strings.NewReader(stdin))
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestTokenize(t *testing.T) {
	const gpt2 = "../../tokenizer/testdata/tokenizers/gpt2"
	const llama = "../../tokenizer/testdata/tokenizers/mistral-7b-v0.1"
	// Expected ids are those of the Hugging Face tokenizers library.
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"ids", "Hello, world!\n<|endoftext|> ok\n", []string{"--tokenizer", gpt2}, "15496 11 995 0\n50256 12876\n"},
		{"no final newline", "Hello", []string{"--tokenizer", gpt2}, "15496\n"},
		{"empty line", "\nHello\n", []string{"--tokenizer", gpt2}, "\n15496\n"},
		{"tokens", "Hello, world!\n", []string{"--tokenizer", gpt2, "--tokens"}, `"Hello" "," "Ġworld" "!"` + "\n"},
		{"json with specials", "Hello\n", []string{"--tokenizer", llama, "--json", "--add-special-tokens"},
			`{"ids":[1,22557],"tokens":["<s>","▁Hello"]}` + "\n"},
		{"decode", "15496 11 995 0\n[50256, 12876]\n", []string{"--tokenizer", gpt2, "--decode"}, "Hello, world!\n<|endoftext|> ok\n"},
		{"decode skipping specials", "50256 12876\n", []string{"--tokenizer", gpt2, "--decode", "--skip-special-tokens"}, " ok\n"},
		{"decode json", "198\n", []string{"--tokenizer", gpt2, "--decode", "--json"}, `"\n"` + "\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := runCmd(t, tc.stdin, append([]string{"tokenize"}, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestTokenizeErrors(t *testing.T) {
	const gpt2 = "../../tokenizer/testdata/tokenizers/gpt2"
	for _, tc := range []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"missing tokenizer", "x\n", []string{"--tokenizer", "testdata/nope.json"}, "nope.json"},
		{"bad id", "12 x3\n", []string{"--tokenizer", gpt2, "--decode"}, `line 1: "x3" is not a token id`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := runCmd(t, tc.stdin, append([]string{"tokenize"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
