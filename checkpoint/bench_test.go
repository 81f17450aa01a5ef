package checkpoint

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/transplant-dev/transplant/safetensors"
)

// benchModel writes a 64 MiB BF16 Llama-shaped model directory.
func benchModel(b *testing.B) *Model {
	b.Helper()
	dir := b.TempDir()
	os.WriteFile(filepath.Join(dir, ConfigName), []byte(`{"architectures":["LlamaForCausalLM"],"vocab_size":4096}`), 0o644)
	infos := []safetensors.TensorInfo{
		{Name: "model.embed_tokens.weight", Dtype: safetensors.BF16, Shape: []int{4096, 2048}},
		{Name: "model.layers.0.mlp.up_proj.weight", Dtype: safetensors.BF16, Shape: []int{8192, 2048}},
		{Name: "lm_head.weight", Dtype: safetensors.BF16, Shape: []int{4096, 2048}},
	}
	f, err := os.Create(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		b.Fatal(err)
	}
	w, err := safetensors.NewWriter(f, infos, nil)
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	for i := range chunk {
		chunk[i] = byte(i * 31)
	}
	for range 64 {
		w.Write(chunk)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	m, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	return m
}

// BenchmarkWriteDir copies a 64 MiB model unchanged, and with a new
// 8192-row embedding and head converted to BF16 from a row callback.
func BenchmarkWriteDir(b *testing.B) {
	base := benchModel(b)
	fill := func(start, end int, dst []float32) error {
		for i := range dst {
			dst[i] = float32(start+i) * 1e-3
		}
		return nil
	}
	for _, bc := range []struct {
		name    string
		replace map[string]Replacement
	}{
		{"copy", nil},
		{"replace", map[string]Replacement{
			"model.embed_tokens.weight": {Rows: 8192, Cols: 2048, Fill: fill},
			"lm_head.weight":            {Rows: 8192, Cols: 2048, Fill: fill},
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(64 << 20)
			parent := b.TempDir()
			for b.Loop() {
				out := filepath.Join(parent, "out")
				if err := WriteDir(context.Background(), out, base, WriteOptions{Replace: bc.replace}); err != nil {
					b.Fatal(err)
				}
				os.RemoveAll(out)
			}
		})
	}
}
