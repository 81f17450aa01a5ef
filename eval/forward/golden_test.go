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
// on the same weights, and for some cases a shorter window as well.
type golden struct {
	window
	Short *window `json:"short"`
}

type window struct {
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

var goldenCases = []string{"llama", "llama3-scaled", "mistral", "qwen2", "qwen3", "phi3", "phi3-longrope",
	"gemma", "gemma2", "gemma3_text", "gpt2", "gpt2-prefixed", "tiny"}

// TestGoldenLogits checks the logits of every architecture against the
// PyTorch reference on small random checkpoints.
func TestGoldenLogits(t *testing.T) {
	for _, name := range goldenCases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", name)
			m := loadTestModel(t, dir)
			g := readGolden(t, dir)
			for _, w := range []*window{&g.window, g.Short} {
				if w == nil {
					continue
				}
				got := logitsOf(t, m, w.IDs)
				rel := maxRelErr(got, w.Logits)
				t.Logf("%s, %d ids: max relative error %.2g", name, len(w.IDs), rel)
				if rel > goldenTol {
					t.Errorf("%s, %d ids: logits differ from PyTorch's by %.3g relative, want ≤ %g", name, len(w.IDs), rel, goldenTol)
				}
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
		short         bool // check the golden's short window
	}{
		{"llama", "rope_theta", func(c *Config) { c.RopeTheta *= 2 }, false},
		{"llama3-scaled", "llama3 RoPE scaling", func(c *Config) { c.RopeScaling = nil }, false},
		{"mistral", "sliding window", func(c *Config) { c.SlidingWindow = 0 }, false},
		{"mistral", "linear RoPE scaling", func(c *Config) { c.RopeScaling = nil }, false},
		{"qwen2", "q/k/v biases", func(c *Config) { c.AttentionBias = false }, false},
		{"qwen3", "q/k norms", func(c *Config) { c.QKNorm = false }, false},
		{"phi3", "partial rotary", func(c *Config) { c.RotaryDim = c.HeadDim }, false},
		{"phi3", "sliding window", func(c *Config) { c.SlidingWindow = 0 }, false},
		{"phi3-longrope", "long factors", func(c *Config) { c.RopeScaling.LongFactor = c.RopeScaling.ShortFactor }, false},
		{"phi3-longrope", "short factors", func(c *Config) { c.RopeScaling.ShortFactor = c.RopeScaling.LongFactor }, true},
		{"phi3-longrope", "long factors only past the original context", func(c *Config) { c.RopeScaling.OriginalMaxPositions-- }, true},
		{"phi3-longrope", "attention factor", func(c *Config) { c.RopeScaling.AttentionFactor = 1 }, true},
		{"gemma", "1 + w norms", func(c *Config) { c.NormAddOne = false }, false},
		{"gemma", "embedding scale", func(c *Config) { c.ScaleEmbeddings = false }, false},
		{"gemma", "hidden_act's exact GELU", func(c *Config) { c.Activation = "gelu_pytorch_tanh" }, false},
		{"gemma2", "post-norms", func(c *Config) { c.PostNorms = false }, false},
		{"gemma2", "attention soft-capping", func(c *Config) { c.AttnSoftcap = 0 }, false},
		{"gemma2", "logit soft-capping", func(c *Config) { c.FinalSoftcap = 0 }, false},
		{"gemma2", "query_pre_attn_scalar", func(c *Config) { c.QueryPreAttnScalar = 0 }, false},
		{"gemma2", "sliding window", func(c *Config) { c.SlidingWindow = 0 }, false},
		{"gemma2", "sliding window on even layers only", func(c *Config) { c.SlidingLayers = nil }, false},
		{"gemma3_text", "q/k norms", func(c *Config) { c.QKNorm = false }, false},
		{"gemma3_text", "query_pre_attn_scalar", func(c *Config) { c.QueryPreAttnScalar = 0 }, false},
		{"gemma3_text", "sliding window", func(c *Config) { c.SlidingWindow = 0 }, false},
		{"gemma3_text", "global layer by sliding_window_pattern", func(c *Config) { c.SlidingLayers[2] = true }, false},
		{"gemma3_text", "linear scaling on global layers", func(c *Config) { c.RopeScaling = nil }, false},
		{"gemma3_text", "no scaling on local layers", func(c *Config) { c.LocalRopeScaling = c.RopeScaling }, false},
		{"gemma3_text", "local RoPE base", func(c *Config) { c.LocalRopeTheta = 0 }, false},
		{"gemma3_text", "global RoPE base", func(c *Config) { c.RopeTheta = c.LocalRopeTheta }, false},
		{"gemma3_text", "post-norms", func(c *Config) { c.PostNorms = false }, false},
		{"gpt2", "gelu_new", func(c *Config) { c.Activation = "gelu" }, false},
		{"gpt2-prefixed", "scale_attn_by_inverse_layer_idx", func(c *Config) { c.ScaleByLayer = false }, false},
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
			w := &g.window
			if tc.short {
				w = g.Short
			}
			got := logitsOf(t, m, w.IDs)
			if rel := maxRelErr(got, w.Logits); rel <= goldenTol {
				t.Errorf("without %s the logits still agree to %.2g: the golden does not exercise it", tc.feature, rel)
			}
		})
	}
}
