package align

import (
	"path/filepath"
	"testing"

	"github.com/transplant-dev/transplant/tokenizer"
)

// testdataTokenizer loads one of the permissively licensed tokenizers the
// tokenizer package keeps for its conformance tests.
func testdataTokenizer(t *testing.T, name string) *tokenizer.Tokenizer {
	t.Helper()
	tk, err := tokenizer.Load(filepath.Join("..", "tokenizer", "testdata", "tokenizers", name))
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

// A real vocabulary aligned with itself maps every row to itself.
func TestRealTokenizerIdentity(t *testing.T) {
	for _, name := range []string{"gpt2", "mistral-7b-v0.1", "bert-base-uncased"} {
		t.Run(name, func(t *testing.T) {
			v := FromTokenizer(testdataTokenizer(t, name))
			a, err := Align(v, v, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for id := range v.Tokens {
				if v.Tokens[id].Unused {
					continue
				}
				if !a.Kind[id].Copied() || a.Source[id] != id {
					t.Fatalf("id %d %q: %v from %d", id, v.Tokens[id].Spelling, a.Kind[id], a.Source[id])
				}
			}
		})
	}
}

// Byte alignment across families finds far more than spelling matches: the
// Mistral (▁) and GPT-2 (Ġ) vocabularies share few spellings of words with
// a leading space, but many byte strings.
func TestRealTokenizersAcrossFamilies(t *testing.T) {
	mistral, gpt2 := FromTokenizer(testdataTokenizer(t, "mistral-7b-v0.1")), FromTokenizer(testdataTokenizer(t, "gpt2"))
	a, err := Align(mistral, gpt2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := a.Report
	// The shared models' README, from an independent NumPy implementation:
	// 21,240 GPT-2 tokens match Mistral tokens by their bytes, 29,016 are new.
	if got := r.Kinds["exact"] + r.Kinds["bytes"]; got != 21240 || r.Kinds["new"] != 29016 {
		t.Errorf("matched by bytes %d, new %d; want 21240, 29016 (kinds %v)", got, r.Kinds["new"], r.Kinds)
	}
	if r.Shared < 2*r.SpellingMatches {
		t.Errorf("byte alignment found %d, spelling %d: expected far more by bytes", r.Shared, r.SpellingMatches)
	}
	// Every copied pair stands for the same bytes.
	for id, k := range a.Kind {
		if k == Exact || k == ByBytes {
			if mistral.Tokens[a.Source[id]].key() != gpt2.Tokens[id].key() {
				t.Fatalf("new %q copies old %q", gpt2.Tokens[id].Spelling, mistral.Tokens[a.Source[id]].Spelling)
			}
		}
	}
	// "Ġthe" is " the", which Mistral spells "▁the".
	the, _ := testdataTokenizer(t, "gpt2").ID("Ġthe")
	if src := a.Source[the]; src < 0 || mistral.Tokens[src].Spelling != "▁the" {
		t.Errorf("Ġthe copies %d", src)
	}
}

// WordPiece pieces meet byte-level ones: "##ing" is a word-internal "ing",
// "hello" a word start.
func TestWordPieceAgainstByteLevel(t *testing.T) {
	gpt2, bert := FromTokenizer(testdataTokenizer(t, "gpt2")), FromTokenizer(testdataTokenizer(t, "bert-base-uncased"))
	a, err := Align(gpt2, bert, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bt := testdataTokenizer(t, "bert-base-uncased")
	for spelling, want := range map[string]string{"##ing": "ing", "hello": "Ġhello", "the": "Ġthe"} {
		id, ok := bt.ID(spelling)
		if !ok {
			t.Fatalf("bert has no %q", spelling)
		}
		if src := a.Source[id]; src < 0 || gpt2.Tokens[src].Spelling != want {
			t.Errorf("%q copies %d, want %q", spelling, src, want)
		}
	}
}
