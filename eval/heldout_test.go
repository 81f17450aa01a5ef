package eval

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/transplant-dev/transplant/eval/forward"
	"github.com/transplant-dev/transplant/safetensors/tensortest"
)

// The README's numbers, measured by an independent PyTorch scorer.
var readmeNumbers = []struct {
	model       string
	bitsPerByte float64
	tokens      int
}{
	{"A-mistral", 1.8782, 55604},
	{"B-gpt2", 1.9301, 53273},
}

// heldoutIDs is what scripts/golden/forward/heldout_ids.js writes: the
// chunks of heldout.txt encoded by the official tokenizers library.
type heldoutIDs struct {
	ChunkBytes []int   `json:"chunk_bytes"`
	IDs        [][]int `json:"ids"`
}

// heldoutNLL is what scripts/golden/forward/heldout_nll.py writes: the
// PyTorch reference's NLL of every window.
type heldoutNLL struct {
	Context      int       `json:"context"`
	BOS          int       `json:"bos"`
	WindowNLL    []float64 `json:"window_nll"`
	WindowTokens []int     `json:"window_tokens"`
	Tokens       int       `json:"tokens"`
	BitsPerByte  float64   `json:"bits_per_byte"`
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r interface{ Read([]byte) (int, error) } = f
	if filepath.Ext(path) == ".gz" {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		r = zr
	}
	if err := json.NewDecoder(r).Decode(v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// The two small trained models of shared/models (its README gives their
// bits-per-byte) are looked for above the repository; tests that need them
// skip when they are absent, as on CI.

func heldoutText(t *testing.T) []byte {
	t.Helper()
	text, err := os.ReadFile(tensortest.SharedModel(t, "heldout.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func loadShared(t *testing.T, name string) *forward.Model {
	t.Helper()
	m, err := forward.Load(tensortest.SharedModel(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The chunker cuts heldout.txt where the independent one in heldout_ids.js
// does.
func TestHeldoutChunks(t *testing.T) {
	text := heldoutText(t)
	var g heldoutIDs
	readJSON(t, filepath.Join("testdata", "heldout", "A-mistral.json.gz"), &g)
	chunks := Chunks(text, DefaultChunkBytes)
	if len(chunks) != len(g.ChunkBytes) {
		t.Fatalf("%d chunks, want %d", len(chunks), len(g.ChunkBytes))
	}
	for i, c := range chunks {
		if len(c) != g.ChunkBytes[i] {
			t.Errorf("chunk %d has %d bytes, want %d", i, len(c), g.ChunkBytes[i])
		}
	}
}

// TestHeldoutBitsPerByte reproduces the README's bits-per-byte of both
// shared models from reference token ids (so it does not depend on this
// project's tokenizer). With -short it scores only the first windows and
// compares them with the PyTorch reference's.
func TestHeldoutBitsPerByte(t *testing.T) {
	text := heldoutText(t)
	for _, want := range readmeNumbers {
		t.Run(want.model, func(t *testing.T) {
			var ids heldoutIDs
			var ref heldoutNLL
			readJSON(t, filepath.Join("testdata", "heldout", want.model+".json.gz"), &ids)
			readJSON(t, filepath.Join("testdata", "heldout", want.model+".nll.json"), &ref)
			m := loadShared(t, want.model)
			if bos := m.Config().BOS; bos != ref.BOS {
				t.Fatalf("BOS %d, the reference used %d", bos, ref.BOS)
			}
			if testing.Short() {
				scoreFirstWindows(t, m, ids, ref, 1)
				return
			}
			encode := func(chunks []string) [][]int {
				for i, c := range chunks {
					if len(c) != ids.ChunkBytes[i] {
						t.Fatalf("chunk %d has %d bytes, the reference ids are for %d", i, len(c), ids.ChunkBytes[i])
					}
				}
				return ids.IDs
			}
			res, err := BitsPerByte(context.Background(), m, text, encode, m.Config().BOS, Options{})
			if err != nil {
				t.Fatal(err)
			}
			bpb := res.BitsPerByte()
			t.Logf("%s: %.4f bits/byte over %d tokens in %d windows (README %.4f, PyTorch reference %.6f)",
				want.model, bpb, res.Tokens, res.Windows, want.bitsPerByte, ref.BitsPerByte)
			if res.Tokens != want.tokens {
				t.Errorf("scored %d tokens, README says %d", res.Tokens, want.tokens)
			}
			if math.Abs(bpb/want.bitsPerByte-1) > 0.005 {
				t.Errorf("%.4f bits/byte, README says %.4f (tolerance 0.5%%)", bpb, want.bitsPerByte)
			}
			if math.Abs(bpb/ref.BitsPerByte-1) > 1e-5 {
				t.Errorf("%.6f bits/byte, the PyTorch reference on the same ids %.6f", bpb, ref.BitsPerByte)
			}
		})
	}
}

// scoreFirstWindows scores the first n windows of the stream and compares
// them with the reference's.
func scoreFirstWindows(t *testing.T, m LanguageModel, ids heldoutIDs, ref heldoutNLL, n int) {
	stream, scored := Stream(ids.IDs, ref.BOS)
	end := n*ref.Context + 1
	res, err := Score(context.Background(), m, stream[:end], scored[:end], Options{Context: ref.Context})
	if err != nil {
		t.Fatal(err)
	}
	var nll float64
	var tokens int
	for k := range n {
		nll += ref.WindowNLL[k]
		tokens += ref.WindowTokens[k]
	}
	if res.Tokens != tokens || math.Abs(res.NLL/nll-1) > 1e-5 {
		t.Errorf("first %d windows: NLL %.6f over %d tokens, PyTorch %.6f over %d", n, res.NLL, res.Tokens, nll, tokens)
	}
}
