package tokenizer

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tinyBPE is a complete byte-level BPE tokenizer small enough to read.
const tinyBPE = `{
  "version": "1.0",
  "added_tokens": [{"id": 7, "content": "<eos>", "special": true, "normalized": false,
                    "single_word": false, "lstrip": false, "rstrip": false}],
  "normalizer": null,
  "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true},
  "post_processor": {"type": "TemplateProcessing",
    "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "<eos>", "type_id": 0}}],
    "pair": [], "special_tokens": {"<eos>": {"id": "<eos>", "ids": [7], "tokens": ["<eos>"]}}},
  "decoder": {"type": "ByteLevel"},
  "model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "Ġ": 2, "ab": 3, "Ġa": 4, "Ġab": 5, "c": 6, "<eos>": 7},
            "merges": ["a b", "Ġ a", "Ġa b"]}
}`

func TestParseTiny(t *testing.T) {
	tk, err := Parse([]byte(tinyBPE))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		text    string
		special bool
		want    []int
	}{
		{"ab", false, []int{3}},
		{"ab ab", false, []int{3, 2, 3}}, // "a b" ranks before "Ġ a": Ġab is never reached
		{"ab a", false, []int{3, 4}},
		{"ba", false, []int{1, 0}},
		{"ab<eos> a", false, []int{3, 7, 4}},
		{"ab", true, []int{3, 7}},
		{"", true, []int{7}},
		{"d", false, nil}, // no unk token: unknown bytes are dropped, as in the reference
	} {
		if got := tk.Encode(tc.text, tc.special); !slices.Equal(got, tc.want) {
			t.Errorf("Encode(%q, %v) = %v, want %v", tc.text, tc.special, got, tc.want)
		}
	}
	if got := tk.Decode([]int{3, 5, 7}, true); got != "ab ab" {
		t.Errorf("Decode = %q", got)
	}
	if got := tk.VocabSize(); got != 8 {
		t.Errorf("VocabSize = %d", got)
	}
	s := tk.Specials()
	if s.EOS != 7 || s.BOS != -1 || s.UNK != -1 || !slices.Equal(s.IDs, []int{7}) {
		t.Errorf("Specials = %+v", s)
	}
}

// TestBadFiles checks that each malformed file is rejected with an error
// naming the JSON path of the problem.
func TestBadFiles(t *testing.T) {
	tests := []struct {
		name, from, to string
		path           string // expected in the error
		sentinel       error
	}{
		{"not json", `"version"`, `"version`, "not valid JSON", ErrFormat},
		{"bad version", `"version": "1.0"`, `"version": "2.0"`, "version", ErrUnsupported},
		{"unknown model", `"type": "BPE"`, `"type": "Wordle"`, "model.type", ErrUnsupported},
		{"unknown pre-tokenizer", `"type": "ByteLevel", "add_prefix_space"`, `"type": "Bytes", "add_prefix_space"`, "pre_tokenizer.type", ErrUnsupported},
		{"unknown decoder", `{"type": "ByteLevel"}`, `{"type": "Fancy"}`, "decoder.type", ErrUnsupported},
		{"unknown post-processor", `"type": "TemplateProcessing"`, `"type": "Templating"`, "post_processor.type", ErrUnsupported},
		{"unknown normalizer", `"normalizer": null`, `"normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Magic"}]}`, "normalizer.normalizers[1].type", ErrUnsupported},
		{"merge token not in vocab", `"a b", "Ġ a"`, `"a x", "Ġ a"`, "model.merges[0]", ErrFormat},
		{"merge result not in vocab", `"Ġa b"]`, `"b a"]`, "model.merges[2]", ErrFormat},
		{"bad merge", `"a b", "Ġ a"`, `"a b c", "Ġ a"`, "model.merges[0]", ErrFormat},
		{"mixed merge forms", `"Ġ a"`, `["Ġ", "a"]`, "model.merges", ErrFormat},
		{"bad merge pair", `"merges": ["a b", "Ġ a", "Ġa b"]`, `"merges": [["a", "b"], ["Ġ"]]`, "model.merges[1]", ErrFormat},
		{"duplicate ids", `"c": 6`, `"c": 5`, "model.vocab", ErrFormat},
		{"negative id", `"c": 6`, `"c": -6`, "model.vocab", ErrFormat},
		{"added tokens share an id", `"added_tokens": [`, `"added_tokens": [{"id": 7, "content": "<bos>"}, `, "added_tokens[1].id", ErrFormat},
		{"template names unknown token", `{"SpecialToken": {"id": "<eos>", "type_id": 0}}]`, `{"SpecialToken": {"id": "<bos>", "type_id": 0}}]`, "post_processor.single[1]", ErrFormat},
		{"mistyped field", `"use_regex": true`, `"use_regex": "yes"`, "pre_tokenizer.use_regex", ErrFormat},
		{"bad regex", `"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}`,
			`"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(("}, "behavior": "Isolated", "invert": false}`, "pre_tokenizer.pattern.Regex", ErrUnsupported},
		{"bad behavior", `"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}`,
			`"pre_tokenizer": {"type": "Split", "pattern": {"String": " "}, "behavior": "Sideways", "invert": false}`, "pre_tokenizer.behavior", ErrFormat},
		{"missing model", `"model": {`, `"modell": {`, "model", ErrFormat},
		{"dropout", `"type": "BPE",`, `"type": "BPE", "dropout": 0.1,`, "model.dropout", ErrUnsupported},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(tinyBPE, tc.from) {
				t.Fatalf("test case does not apply: %q not in the file", tc.from)
			}
			data := strings.Replace(tinyBPE, tc.from, tc.to, 1)
			dir := t.TempDir()
			file := filepath.Join(dir, "tokenizer.json")
			if err := os.WriteFile(file, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(file)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, file) || !strings.Contains(msg, tc.path) || !errors.Is(err, tc.sentinel) {
				t.Errorf("error %q: want it to name %s and %q and wrap %v", msg, file, tc.path, tc.sentinel)
			}
		})
	}
}

// TestSequenceProcessor: Llama 3.1 style Sequence[ByteLevel, Template].
func TestSequenceProcessor(t *testing.T) {
	data := strings.Replace(tinyBPE, `"post_processor": {"type": "TemplateProcessing",`,
		`"post_processor": {"type": "Sequence", "processors": [{"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true}, {"type": "TemplateProcessing",`, 1)
	data = strings.Replace(data, `"tokens": ["<eos>"]}}},`, `"tokens": ["<eos>"]}}}]},`, 1)
	tk, err := Parse([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if got := tk.Encode("ab", true); !slices.Equal(got, []int{3, 7}) {
		t.Errorf("Encode = %v", got)
	}
	if s := tk.Specials(); s.EOS != 7 {
		t.Errorf("EOS = %d", s.EOS)
	}
}

func TestLoadForms(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(tinyBPE), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, filepath.Join(dir, "tokenizer.json"), "testdata/tokenizers/gpt2", "testdata/tokenizers/gpt2/tokenizer.json.gz"} {
		if _, err := Load(p); err != nil {
			t.Errorf("Load(%s): %v", p, err)
		}
	}
	if _, err := Load(t.TempDir()); !errors.Is(err, ErrNoTokenizer) || !strings.Contains(err.Error(), "no tokenizer.json") {
		t.Errorf("empty directory: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(tinyBPE))
	f.Add([]byte(`{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 1, "##b": 2}, "unk_token": "[UNK]"},
		"pre_tokenizer": {"type": "BertPreTokenizer"}, "normalizer": {"type": "BertNormalizer"}}`))
	f.Add([]byte(`{"model": {"type": "Unigram", "vocab": [["<unk>", 0], ["▁a", -1], ["b", -2]], "unk_id": 0},
		"pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first"}}`))
	f.Add([]byte(`{"model": {"vocab": {"a": 0, "<unk>": 1}, "unk_token": "<unk>"},
		"added_tokens": [{"id": 2, "content": "xx", "lstrip": true, "rstrip": true, "single_word": true}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tk, err := Parse(data)
		if err != nil {
			return
		}
		for _, s := range []string{"", "a b  ab", "xx a xx\n", "\xff数 'll 12345"} {
			ids := tk.Encode(s, true)
			tk.Decode(ids, false)
			tk.EncodeSurface([]byte(s))
		}
	})
}

// A tokenizer built from its files in memory is the one Load reads from
// disk: same ids for the same text, same special-token roles.
func TestLoadFiles(t *testing.T) {
	dir := filepath.Join("testdata", "tokenizers", "qwen3")
	files, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadFiles(files, "recipe")
	if err != nil {
		t.Fatal(err)
	}
	text := "Hello, tokenizers! 123 <|im_start|>"
	if !slices.Equal(a.Encode(text, true), b.Encode(text, true)) || a.Specials().BOS != b.Specials().BOS || a.Specials().EOS != b.Specials().EOS {
		t.Errorf("from files: %v %+v; from disk: %v %+v", b.Encode(text, true), b.Specials(), a.Encode(text, true), a.Specials())
	}
	delete(files, "tokenizer.json")
	if _, err := LoadFiles(files, "recipe"); !errors.Is(err, ErrFormat) {
		t.Errorf("without tokenizer.json: %v", err)
	}
}
