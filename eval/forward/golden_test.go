package forward

import (
	"compress/gzip"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// golden is what scripts/golden/forward/make_goldens.py writes: a fixed id
// sequence and the logits of an independent PyTorch implementation (float64)
// on the same weights.
type golden struct {
	IDs    []int       `json:"ids"`
	Logits [][]float64 `json:"logits"`
}

func readGolden(t *testing.T, dir string) golden {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "golden.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.NewDecoder(zr).Decode(&g); err != nil {
		t.Fatal(err)
	}
	return g
}

func loadTestModel(t *testing.T, dir string) *Model {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, "model.safetensors")); err == nil {
		m, err := Load(dir)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	cfg, err := ReadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(cfg, openGzipSafetensors(t, filepath.Join(dir, "model.safetensors.gz")))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// logitsOf runs m on ids and returns the logits, len(ids)×VocabSize.
func logitsOf(t *testing.T, m *Model, ids []int) []float32 {
	t.Helper()
	got := make([]float32, len(ids)*m.VocabSize())
	if err := m.Logits(got, ids); err != nil {
		t.Fatal(err)
	}
	return got
}

// maxRelErr is max |got - want| over max |want|: the error relative to the
// scale of the logits, which individual near-zero logits cannot inflate.
func maxRelErr(got []float32, want [][]float64) float64 {
	var diff, scale float64
	V := len(want[0])
	for i, row := range want {
		for j, w := range row {
			diff = math.Max(diff, math.Abs(float64(got[i*V+j])-w))
			scale = math.Max(scale, math.Abs(w))
		}
	}
	return diff / scale
}

// goldenTol is the relative error allowed against the float64 reference.
// The issue asks for 1e-4; float32 achieves about 2e-7 here, and a
// tighter bound tells apart variants that 1e-4 cannot (gelu vs gelu_new).
const goldenTol = 1e-5

var goldenCases = []string{"llama", "llama3-scaled", "mistral", "qwen2", "qwen3", "gpt2", "gpt2-prefixed", "tiny"}

// TestGoldenLogits checks the logits of every architecture against the
// PyTorch reference on small random checkpoints.
func TestGoldenLogits(t *testing.T) {
	for _, name := range goldenCases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			m := loadTestModel(t, dir)
			g := readGolden(t, dir)
			got := logitsOf(t, m, g.IDs)
			rel := maxRelErr(got, g.Logits)
			t.Logf("%s: max relative error %.2g", name, rel)
			if rel > goldenTol {
				t.Errorf("%s: logits differ from PyTorch's by %.3g relative, want ≤ %g", name, rel, goldenTol)
			}
		})
	}
}

// TestGoldenSensitivity turns off, one at a time, the feature each golden
// case was made to exercise and checks the logits then move past the
// tolerance: the goldens would catch that feature being wrong.
func TestGoldenSensitivity(t *testing.T) {
	cases := []struct {
		name, feature string
		mutate        func(*Config)
	}{
		{"llama", "rope_theta", func(c *Config) { c.RopeTheta *= 2 }},
		{"llama3-scaled", "llama3 RoPE scaling", func(c *Config) { c.RopeScaling = nil }},
		{"mistral", "sliding window", func(c *Config) { c.SlidingWindow = 0 }},
		{"mistral", "linear RoPE scaling", func(c *Config) { c.RopeScaling = nil }},
		{"qwen2", "q/k/v biases", func(c *Config) { c.AttentionBias = false }},
		{"qwen3", "q/k norms", func(c *Config) { c.QKNorm = false }},
		{"gpt2", "gelu_new", func(c *Config) { c.Activation = "gelu" }},
		{"gpt2-prefixed", "scale_attn_by_inverse_layer_idx", func(c *Config) { c.ScaleByLayer = false }},
	}
	for _, tc := range cases {
		t.Run(tc.name+"/"+tc.feature, func(t *testing.T) {
			dir := filepath.Join("testdata", tc.name)
			cfg, err := ReadConfig(filepath.Join(dir, "config.json"))
			if err != nil {
				t.Fatal(err)
			}
			tc.mutate(cfg)
			m, err := New(cfg, openGzipSafetensors(t, filepath.Join(dir, "model.safetensors.gz")))
			if err != nil {
				t.Fatal(err)
			}
			g := readGolden(t, dir)
			got := logitsOf(t, m, g.IDs)
			if rel := maxRelErr(got, g.Logits); rel <= goldenTol {
				t.Errorf("without %s the logits still agree to %.2g: the golden does not exercise it", tc.feature, rel)
			}
		})
	}
}
