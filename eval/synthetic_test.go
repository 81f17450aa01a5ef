package eval

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/tokenizer"
)

// bpeTokenizer builds a small BPE tokenizer with no normalizer or
// pre-tokenizer: the vocabulary is <unk> (id 0, special) followed by
// tokens in order, and every merge "a b" must name tokens whose
// concatenation is in tokens.
func bpeTokenizer(t *testing.T, tokens, merges []string, byteFallback bool) *tokenizer.Tokenizer {
	t.Helper()
	if merges == nil {
		merges = []string{} // the file format needs the field
	}
	vocab := map[string]int{"<unk>": 0}
	for i, tk := range tokens {
		vocab[tk] = i + 1
	}
	file := map[string]any{
		"version": "1.0",
		"added_tokens": []any{map[string]any{
			"id": 0, "content": "<unk>", "special": true, "normalized": false,
			"single_word": false, "lstrip": false, "rstrip": false,
		}},
		"model": map[string]any{
			"type": "BPE", "vocab": vocab, "merges": merges,
			"unk_token": "<unk>", "byte_fallback": byteFallback,
		},
	}
	data, err := json.Marshal(file)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// mergeTokens returns the letters and the results of merges, in order.
func mergeTokens(letters string, merges []string) []string {
	tokens := strings.Split(letters, "")
	for _, m := range merges {
		tokens = append(tokens, strings.ReplaceAll(m, " ", ""))
	}
	return tokens
}
