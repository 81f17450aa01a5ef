// Package tensortest holds test helpers shared by the packages that read
// checkpoints (safetensors, pytorch, checkpoint), in the spirit of
// net/http/httptest: the golden tensor files that
// scripts/golden/checkpoints/make_fixtures.py writes, and the shared models
// of the workspace.
package tensortest

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Tensor is one entry of a golden file: what torch says a tensor is.
// Floating-point tensors list their values widened to float32 as bit
// patterns; the others list their bytes.
type Tensor struct {
	Dtype    string   `json:"dtype"`
	Shape    []int    `json:"shape"`
	F32Bits  []uint32 `json:"f32_bits"`
	BytesHex string   `json:"bytes_hex"`
}

// ReadGolden reads a *.golden.json file, keyed by tensor name.
func ReadGolden(t testing.TB, path string) map[string]Tensor {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]Tensor
	if err := json.Unmarshal(data, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// Reader is what every checkpoint reader offers.
type Reader interface {
	Float32(name string) ([]float32, []int, error)
	Raw(name string) ([]byte, error)
}

// Describe returns a tensor's dtype and shape, and false if it is absent.
type Describe func(name string) (dtype string, shape []int, ok bool)

// CheckGolden compares every golden tensor with what r reads, bit for bit,
// and the number of tensors r holds with the golden file's.
func CheckGolden(t testing.TB, r Reader, describe Describe, count int, golden map[string]Tensor) {
	t.Helper()
	if count != len(golden) {
		t.Errorf("%d tensors, golden has %d", count, len(golden))
	}
	for name, want := range golden {
		dtype, shape, ok := describe(name)
		if !ok {
			t.Errorf("%s: missing", name)
			continue
		}
		if dtype != want.Dtype || !slices.Equal(shape, want.Shape) {
			t.Errorf("%s: %s%v, want %s%v", name, dtype, shape, want.Dtype, want.Shape)
		}
		if want.BytesHex != "" {
			raw, err := r.Raw(name)
			if err != nil || hex.EncodeToString(raw) != want.BytesHex {
				t.Errorf("%s: raw bytes %x (%v), want %s", name, raw, err, want.BytesHex)
			}
			continue
		}
		got, gotShape, err := r.Float32(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !slices.Equal(gotShape, want.Shape) {
			t.Errorf("%s: Float32 shape %v", name, gotShape)
		}
		if i := FirstBitDiff(got, want.F32Bits); i >= 0 {
			t.Errorf("%s: element %d differs from torch's %d values", name, i, len(want.F32Bits))
		}
	}
}

// FirstBitDiff returns the first index where got's bits differ from want,
// or -1 when they are identical (NaN payloads included).
func FirstBitDiff(got []float32, want []uint32) int {
	for i := range min(len(got), len(want)) {
		if math.Float32bits(got[i]) != want[i] {
			return i
		}
	}
	if len(got) != len(want) {
		return min(len(got), len(want))
	}
	return -1
}

// SharedModel returns the path of shared/models/<name> in the workspace,
// looking upward from the test's directory, and skips the test when it is
// not there.
func SharedModel(t testing.TB, name string) string {
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
