package tokenizer

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSpecials(t *testing.T) {
	tests := []struct {
		name               string
		bos, eos, pad, unk int
		count              int // len(IDs)
		mustInclude        []int
	}{
		// From tokenizer_config.json.
		{"gpt2", 50256, 50256, -1, 50256, 1, nil},
		{"mistral-7b-v0.1", 1, 2, -1, 0, 3, nil},
		{"qwen3", -1, 151645, 151643, -1, 14, []int{151644, 151645}}, // null bos/unk stay empty
		{"t5-small", -1, 1, 0, 2, 103, []int{32099}},
		{"clip-vit-base-patch32", 49406, 49407, 49407, 49407, 2, nil},
		// No config: the post-processor and conventional names.
		{"bert-base-uncased", 101, 102, 0, 100, 5, []int{103}},
		{"roberta-base", 0, 2, 1, 3, 5, []int{50264}},
		{"synth-bytelevel-added", 3256, 3257, -1, -1, 5, []int{3258, 3259}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := loadNamed(t, tc.name).Specials()
			if s.BOS != tc.bos || s.EOS != tc.eos || s.PAD != tc.pad || s.UNK != tc.unk {
				t.Errorf("roles BOS %d EOS %d PAD %d UNK %d, want %d %d %d %d", s.BOS, s.EOS, s.PAD, s.UNK, tc.bos, tc.eos, tc.pad, tc.unk)
			}
			if tc.count > 0 && len(s.IDs) != tc.count {
				t.Errorf("%d special ids, want %d: %v", len(s.IDs), tc.count, s.IDs)
			}
			for _, id := range tc.mustInclude {
				if !slices.Contains(s.IDs, id) {
					t.Errorf("special ids lack %d", id)
				}
			}
		})
	}
}

// TestEncodeBatch checks the concurrent path against Encode (and, under
// -race, for data races).
func TestEncodeBatch(t *testing.T) {
	lines := corpus(t)
	if testing.Short() {
		lines = lines[:len(lines)/4]
	}
	for _, name := range []string{"gpt2", "t5-small", "synth-unigram"} {
		tk := loadNamed(t, name)
		got := tk.EncodeBatch(lines, true)
		for i, l := range lines {
			if want := tk.Encode(l, true); !slices.Equal(got[i], want) {
				t.Fatalf("%s line %d: EncodeBatch %v, Encode %v", name, i, got[i], want)
			}
		}
	}
}

// A role naming a token the vocabulary lacks is reported, not dropped.
func TestSpecialsMissing(t *testing.T) {
	dir := t.TempDir()
	files, err := Files("testdata/tokenizers/gpt2")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), files["tokenizer.json"], 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := `{"bos_token": "<s>", "eos_token": {"content": "<|endoftext|>"}, "pad_token": null, "unk_token": "<unk>"}`
	if err := os.WriteFile(filepath.Join(dir, "tokenizer_config.json"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	tk, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := tk.Specials()
	if s.BOS != -1 || s.EOS != 50256 || s.PAD != -1 || s.UNK != -1 {
		t.Errorf("roles %+v", s)
	}
	if want := []string{"bos_token: <s>", "unk_token: <unk>"}; !slices.Equal(s.Missing, want) {
		t.Errorf("missing %q, want %q", s.Missing, want)
	}
	if m := loadNamed(t, "gpt2").Specials().Missing; len(m) != 0 {
		t.Errorf("gpt2 reports missing roles %q", m)
	}
}
