package checkpoint

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/transplant-dev/transplant/safetensors"
)

// goldenTensor is an entry of the golden.json files written by
// scripts/golden/checkpoints/make_fixtures.py: what torch says a tensor holds.
type goldenTensor struct {
	Dtype    safetensors.Dtype `json:"dtype"`
	Shape    []int             `json:"shape"`
	F32Bits  []uint32          `json:"f32_bits"`
	BytesHex string            `json:"bytes_hex"`
}

func readGolden(t *testing.T, path string) map[string]goldenTensor {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]goldenTensor
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// checkGolden compares every tensor of m with the golden file, bit for bit.
func checkGolden(t *testing.T, m *Model, golden map[string]goldenTensor) {
	t.Helper()
	if len(m.Tensors()) != len(golden) {
		t.Errorf("%d tensors, golden has %d", len(m.Tensors()), len(golden))
	}
	for name, want := range golden {
		info, ok := m.Tensor(name)
		if !ok {
			t.Errorf("%s: missing", name)
			continue
		}
		if info.Dtype != want.Dtype || !slices.Equal(info.Shape, want.Shape) {
			t.Errorf("%s: %s%v, want %s%v", name, info.Dtype, info.Shape, want.Dtype, want.Shape)
		}
		if want.BytesHex != "" {
			raw, err := m.Raw(name)
			if err != nil || hex.EncodeToString(raw) != want.BytesHex {
				t.Errorf("%s: raw bytes %x (%v), want %s", name, raw, err, want.BytesHex)
			}
			continue
		}
		got, _, err := m.Float32(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if len(got) != len(want.F32Bits) {
			t.Errorf("%s: %d values, want %d", name, len(got), len(want.F32Bits))
			continue
		}
		for i, v := range got {
			if math.Float32bits(v) != want.F32Bits[i] {
				t.Errorf("%s[%d] = %#08x, torch says %#08x", name, i, math.Float32bits(v), want.F32Bits[i])
				break
			}
		}
	}
}

// sharedModel returns the path of a model under the workspace's
// shared/models, skipping the test when it is not there.
func sharedModel(t *testing.T, name string) string {
	t.Helper()
	dir, _ := filepath.Abs(".")
	for {
		p := filepath.Join(dir, "shared", "models", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skipf("shared/models/%s not found above the package directory", name)
		}
		dir = parent
	}
}
