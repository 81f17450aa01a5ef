package tokenizer

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The conformance test: every tokenizer must encode and decode the corpus
// exactly as the Hugging Face tokenizers library does. The goldens come
// from scripts/golden/tokenizer/golden.js.

// conformanceTokenizers lists the tokenizers with committed goldens. The
// permissively licensed ones are copied into testdata/tokenizers; the
// others are read from the shared folder beside the repository when it is
// there.
var conformanceTokenizers = []string{
	"gpt2", "bert-base-uncased", "t5-small", "roberta-base", "phi-2", "mistral-7b-v0.1",
	"mistral-legacy", "qwen3", "falcon-7b", "clip-vit-base-patch32",
	"llama2", "llama3", "codellama-7b", "gemma3",
	// Synthetic tokenizers (scripts/golden/tokenizer/synth.py) for the
	// components no real one above uses.
	"synth-bytelevel-added", "synth-wordlevel", "synth-pretokenizers", "synth-unigram",
	"synth-suffix-bpe", "synth-split-bytelevel", "synth-prefix-bpe", "synth-metaspace-first",
	"synth-unicode-scripts", "synth-regex-word",
}

// sharedTokenizers is the shared tokenizer folder beside the repository.
const sharedTokenizers = "../../shared/tokenizers"

// tokenizerPath finds a tokenizer folder, or returns "".
func tokenizerPath(name string) string {
	for _, dir := range []string{filepath.Join("testdata", "tokenizers", name), filepath.Join("testdata", "synthetic", name), filepath.Join(sharedTokenizers, name)} {
		if _, err := FindFile(dir); err == nil {
			return dir
		}
	}
	return ""
}

var loaded sync.Map // name → *Tokenizer, shared by the tests

func loadNamed(tb testing.TB, name string) *Tokenizer {
	tb.Helper()
	if t, ok := loaded.Load(name); ok {
		return t.(*Tokenizer)
	}
	dir := tokenizerPath(name)
	if dir == "" {
		tb.Skipf("%s: not in testdata and %s is absent", name, sharedTokenizers)
	}
	t, err := Load(dir)
	if err != nil {
		tb.Fatal(err)
	}
	loaded.Store(name, t)
	return t
}

type goldenRow struct {
	IDs  []int   `json:"ids"`
	SP   []int   `json:"sp"`
	Dec  *string `json:"dec"`
	Decs *string `json:"decs"`
}

func readJSONLines[T any](tb testing.TB, path string) []T {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	var out []T
	sc := bufio.NewScanner(z)
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			tb.Fatalf("%s: line %d: %v", path, len(out)+1, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func corpus(tb testing.TB) []string {
	return readJSONLines[string](tb, filepath.Join("testdata", "conformance", "corpus.jsonl.gz"))
}

func TestConformance(t *testing.T) {
	lines := corpus(t)
	for _, name := range conformanceTokenizers {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && !strings.HasPrefix(tokenizerPath(name), "testdata") {
				t.Skip("shared tokenizers only without -short")
			}
			tk := loadNamed(t, name)
			golden := readJSONLines[goldenRow](t, filepath.Join("testdata", "conformance", "golden", name+".jsonl.gz"))
			if len(golden) != len(lines) {
				t.Fatalf("golden has %d rows, corpus %d lines", len(golden), len(lines))
			}
			step := 1
			if testing.Short() {
				step = 13 // a sample keeps -short -race fast
			}
			var bad, total int
			for i := 0; i < len(lines); i += step {
				text, g := lines[i], golden[i]
				total++
				want := g.IDs
				wantSP := g.SP
				if wantSP == nil {
					wantSP = want
				}
				wantDec := text
				if g.Dec != nil {
					wantDec = *g.Dec
				}
				wantDecs := wantDec
				if g.Decs != nil {
					wantDecs = *g.Decs
				}
				got := tk.Encode(text, false)
				gotSP := tk.Encode(text, true)
				gotDec := tk.Decode(want, false)
				gotDecs := tk.Decode(wantSP, true)
				if slices.Equal(got, want) && slices.Equal(gotSP, wantSP) && gotDec == wantDec && gotDecs == wantDecs {
					continue
				}
				bad++
				if bad <= 5 {
					t.Errorf("line %d %q:\n ids  got %v\n      want %v\n sp   got %v\n      want %v\n dec  got %q\n      want %q\n decs got %q\n      want %q",
						i, clip(text), clipIDs(got), clipIDs(want), clipIDs(gotSP), clipIDs(wantSP), clip(gotDec), clip(wantDec), clip(gotDecs), clip(wantDecs))
				}
			}
			t.Logf("%s: %d/%d lines match (%.2f%%)", name, total-bad, total, 100*float64(total-bad)/float64(total))
		})
	}
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "..."
	}
	return s
}

func clipIDs(ids []int) []int {
	if len(ids) > 60 {
		return ids[:60]
	}
	return ids
}
