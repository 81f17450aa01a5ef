package checkpoint

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/safetensors"
	"github.com/transplant-dev/transplant/safetensors/tensortest"
)

func TestOpenFixtures(t *testing.T) {
	tests := []struct {
		dir         string
		format      Format
		class       string
		embed, head string // head "" when tied
		tied        bool
		vocab       int
		files       int
	}{
		{"llama-st", Safetensors, "LlamaForCausalLM", "model.embed_tokens.weight", "lm_head.weight", false, 20, 1},
		{"llama-st-sharded", Safetensors, "LlamaForCausalLM", "model.embed_tokens.weight", "lm_head.weight", false, 20, 2},
		{"neox", Safetensors, "GPTNeoXForCausalLM", "gpt_neox.embed_in.weight", "embed_out.weight", false, 8, 1},
		{"qwen2-tied-both", Safetensors, "Qwen2ForCausalLM", "model.embed_tokens.weight", "", true, 7, 1},
		{"llama-pt-sharded", PyTorch, "LlamaForCausalLM", "model.embed_tokens.weight", "lm_head.weight", false, 20, 3},
		{"gpt2-tied", PyTorch, "GPT2LMHeadModel", "transformer.wte.weight", "", true, 11, 1},
	}
	for _, tc := range tests {
		t.Run(tc.dir, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.dir)
			m, err := Open(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			if m.Format() != tc.format || len(m.Files()) != tc.files {
				t.Errorf("format %s with %d files, want %s with %d", m.Format(), len(m.Files()), tc.format, tc.files)
			}
			a, ok := m.Architecture()
			if !ok || a.Class != tc.class {
				t.Errorf("architecture %q (%v), want %q", a.Class, ok, tc.class)
			}
			if e, ok := m.Embedding(); !ok || e.Name != tc.embed {
				t.Errorf("embedding %q (%v), want %q", e.Name, ok, tc.embed)
			}
			h, ok := m.Head()
			if h.Name != tc.head || ok != (tc.head != "") || m.Tied() != tc.tied {
				t.Errorf("head %q (%v), tied %v; want %q, tied %v", h.Name, ok, m.Tied(), tc.head, tc.tied)
			}
			if got := m.Config().VocabSize(); got != tc.vocab {
				t.Errorf("vocab_size %d, want %d", got, tc.vocab)
			}
			describe := func(name string) (string, []int, bool) {
				info, ok := m.Tensor(name)
				return string(info.Dtype), info.Shape, ok
			}
			tensortest.CheckGolden(t, m, describe, len(m.Tensors()), tensortest.ReadGolden(t, filepath.Join(dir, "golden.json")))
		})
	}
}

func TestOpenSingleFile(t *testing.T) {
	m, err := Open("testdata/neox/model.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if m.Config() == nil || m.Dir() != "testdata/neox" {
		t.Errorf("config.json beside the file not read (dir %q)", m.Dir())
	}
	if e, ok := m.Embedding(); !ok || e.Name != "gpt_neox.embed_in.weight" {
		t.Errorf("embedding %q", e.Name)
	}
}

// TestGuessedArchitecture opens a weights directory with no config.json.
func TestGuessedArchitecture(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "testdata/llama-st/model.safetensors", filepath.Join(dir, "model.safetensors"))
	m, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if a, ok := m.Architecture(); !ok || a.Embedding != "model.embed_tokens.weight" {
		t.Errorf("guessed %+v", a)
	}
	if m.Config() != nil || m.Tied() {
		t.Errorf("config %v, tied %v", m.Config(), m.Tied())
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadRows(t *testing.T) {
	m, err := Open("testdata/llama-st")
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	all, shape, err := m.Float32("lm_head.weight")
	if err != nil {
		t.Fatal(err)
	}
	cols := shape[1]
	dst := make([]float32, 3*cols)
	if err := m.ReadRows("lm_head.weight", 5, 8, dst); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dst, all[5*cols:8*cols]) {
		t.Error("rows 5..8 differ from Float32")
	}
	g, err := m.Table("lm_head.weight")
	if err != nil || g.Rows != shape[0] || g.Cols != cols || !slices.Equal(g.Data, all) {
		t.Errorf("Table: %dx%d, %v", g.Rows, g.Cols, err)
	}
	for _, bad := range []struct {
		name       string
		start, end int
		n          int
	}{
		{"lm_head.weight", 5, 8, 3*cols - 1},
		{"lm_head.weight", -1, 2, 3 * cols},
		{"lm_head.weight", 23, 25, 2 * cols},
		{"model.norm.weight", 0, 1, 4},
	} {
		if err := m.ReadRows(bad.name, bad.start, bad.end, make([]float32, bad.n)); !errors.Is(err, ErrShape) {
			t.Errorf("ReadRows(%s, %d, %d, %d values): %v", bad.name, bad.start, bad.end, bad.n, err)
		}
	}
	if _, _, err := m.Float32("nope"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "testdata/llama-st") {
		t.Errorf("missing tensor: %v", err)
	}
}

func TestReadRawRows(t *testing.T) {
	for _, dir := range []string{"testdata/llama-st", "testdata/llama-pt-sharded"} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m := openT(t, dir)
			const name = "lm_head.weight"
			all, err := m.Raw(name)
			if err != nil {
				t.Fatal(err)
			}
			info, _ := m.Tensor(name)
			row := info.Shape[1] * info.Dtype.Size()
			dst := make([]byte, 3*row)
			if err := m.ReadRawRows(name, 5, 8, dst); err != nil || !bytes.Equal(dst, all[5*row:8*row]) {
				t.Errorf("rows 5..8 differ from Raw: %v", err)
			}
			for _, bad := range []struct {
				name       string
				start, end int
				n          int
			}{
				{name, 5, 8, 3*row - 1},
				{name, -1, 2, 3 * row},
				{name, 0, info.Shape[0] + 1, (info.Shape[0] + 1) * row},
				{"model.norm.weight", 0, 1, 8},
			} {
				if err := m.ReadRawRows(bad.name, bad.start, bad.end, make([]byte, bad.n)); !errors.Is(err, ErrShape) {
					t.Errorf("ReadRawRows(%s, %d, %d, %d bytes): %v", bad.name, bad.start, bad.end, bad.n, err)
				}
			}
		})
	}
}

func TestOpenErrors(t *testing.T) {
	sharded := func(t *testing.T, edit func(dir string)) string {
		dir := t.TempDir()
		for _, f := range []string{"config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"} {
			copyFile(t, filepath.Join("testdata/llama-st-sharded", f), filepath.Join(dir, f))
		}
		edit(dir)
		return dir
	}
	tests := []struct {
		name string
		dir  func(t *testing.T) string
		want error
		text string
	}{
		{"no weights", func(t *testing.T) string { return t.TempDir() }, ErrNoWeights, "model.safetensors"},
		{"missing shard", func(t *testing.T) string {
			return sharded(t, func(dir string) { os.Remove(filepath.Join(dir, "model-00002-of-00002.safetensors")) })
		}, ErrFormat, "shard model-00002-of-00002.safetensors is missing"},
		{"index points elsewhere", func(t *testing.T) string {
			return sharded(t, func(dir string) {
				p := filepath.Join(dir, "model.safetensors.index.json")
				data, _ := os.ReadFile(p)
				data = []byte(strings.Replace(string(data), `"lm_head.weight": "model-00002-of-00002.safetensors"`, `"lm_head.weight": "model-00001-of-00002.safetensors"`, 1))
				os.WriteFile(p, data, 0o644)
			})
		}, ErrFormat, `tensor "lm_head.weight"`},
		{"bad config", func(t *testing.T) string {
			return sharded(t, func(dir string) { os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"a":`), 0o644) })
		}, ErrFormat, "config.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := tc.dir(t)
			_, err := Open(dir)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), dir) {
				t.Errorf("err = %v, want %v naming %s and saying %q", err, tc.want, dir, tc.text)
			}
		})
	}
}

// TestSharedModels opens the two real trained models.
func TestSharedModels(t *testing.T) {
	for _, tc := range []struct {
		name string
		rows int
	}{{"A-mistral", 32000}, {"B-gpt2", 50257}} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Open(tensortest.SharedModel(t, tc.name))
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			e, ok1 := m.Embedding()
			h, ok2 := m.Head()
			if !ok1 || !ok2 || m.Tied() || m.Format() != Safetensors {
				t.Fatalf("embedding %v, head %v, tied %v, format %s", ok1, ok2, m.Tied(), m.Format())
			}
			if !slices.Equal(e.Shape, []int{tc.rows, 192}) || !slices.Equal(h.Shape, []int{tc.rows, 192}) || e.Dtype != "BF16" {
				t.Errorf("embedding %s%v, head %v", e.Dtype, e.Shape, h.Shape)
			}
			if m.Config().VocabSize() != tc.rows {
				t.Errorf("vocab_size %d", m.Config().VocabSize())
			}
		})
	}
}

// TestBarePrefix opens a GPT-2 checkpoint saved from the base model, as the
// original gpt2 weights are: no "transformer." prefix and no head.
func TestBarePrefix(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"architectures":["GPT2LMHeadModel"],"vocab_size":3}`), 0o644)
	out, err := os.Create(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	w, err := safetensors.NewWriter(out, []safetensors.TensorInfo{
		{Name: "wte.weight", Dtype: safetensors.F32, Shape: []int{3, 2}},
		{Name: "wpe.weight", Dtype: safetensors.F32, Shape: []int{1, 2}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(make([]byte, 32))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out.Close()
	m, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if e, ok := m.Embedding(); !ok || e.Name != "wte.weight" || !m.Tied() {
		t.Errorf("embedding %q (%v), tied %v", e.Name, ok, m.Tied())
	}
}

// TestSharedPyTorchMatchesSafetensors opens the real model's
// pytorch_model.bin and model.safetensors, saved from the same state dict,
// and checks every tensor widens to the same values.
func TestSharedPyTorchMatchesSafetensors(t *testing.T) {
	dir := tensortest.SharedModel(t, "A-mistral")
	st, err := Open(dir) // prefers model.safetensors
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pt, err := Open(filepath.Join(dir, "pytorch_model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	if st.Format() != Safetensors || pt.Format() != PyTorch || len(st.Tensors()) != len(pt.Tensors()) {
		t.Fatalf("formats %s/%s, %d/%d tensors", st.Format(), pt.Format(), len(st.Tensors()), len(pt.Tensors()))
	}
	for _, tensor := range st.Tensors() {
		a, _, err1 := st.Float32(tensor.Name)
		b, _, err2 := pt.Float32(tensor.Name)
		if err1 != nil || err2 != nil || !slices.Equal(a, b) {
			t.Errorf("%s: values differ (%v, %v)", tensor.Name, err1, err2)
		}
	}
}
