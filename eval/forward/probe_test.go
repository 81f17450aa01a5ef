package forward

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"testing"
)

// A probe is the token it stands for: probing an id's embedding row at
// position i gives the residual at i of the window with that id at i,
// after any number of layers, for every architecture (LongRoPE's too,
// whose frequencies follow the window's length); the probes leave the
// window's own residuals as a pass without them has them.
func TestProbeIsTheTokenItReads(t *testing.T) {
	for _, family := range []string{"llama", "mistral", "qwen2", "qwen3", "gpt2", "gemma", "gemma2", "gemma3_text", "phi3", "phi3-longrope"} {
		t.Run(family, func(t *testing.T) {
			cfg, src := goldenSource(t, family)
			m, err := New(cfg, src)
			if err != nil {
				t.Fatal(err)
			}
			ids := readGolden(t, filepath.Join("testdata", family)).IDs
			H, V := cfg.Hidden, m.VocabSize()
			at := []int{0, 1, len(ids) / 2, len(ids) - 1}
			var probes []Probe
			var reads [][]int // the window each probe stands for
			for k, i := range at {
				id := ids[i]
				if k%2 == 1 {
					id = (id + 7) % V // a token the window does not hold there
				}
				probes = append(probes, Probe{At: i, Row: m.embed[id*H : (id+1)*H]})
				read := slices.Clone(ids)
				read[i] = id // later ids cannot change position i
				reads = append(reads, read)
			}
			for after := range m.Layers() + 1 {
				got := make([]float32, len(probes)*H)
				own := Residual{After: after, Dst: make([]float32, len(ids)*H)}
				if err := m.ProbeResidual(got, own, ids, probes); err != nil {
					t.Fatal(err)
				}
				if want := residual(t, m, ids, after); !close32(own.Dst, want, 1e-6) {
					t.Fatalf("after %d layers the probes changed the window's residuals", after)
				}
				for k, p := range probes {
					want := residual(t, m, reads[k], after)[p.At*H:]
					if !close32(got[k*H:(k+1)*H], want, 2e-5) {
						t.Fatalf("after %d layers the probe at %d is not the window %v there", after, p.At, reads[k])
					}
				}
			}
		})
	}
}

func residual(t *testing.T, m *Model, ids []int, after int) []float32 {
	t.Helper()
	r := Residual{After: after, Dst: make([]float32, len(ids)*m.cfg.Hidden)}
	if err := m.NLLStatesResidual(make([]float64, len(ids)), nil, r, ids, make([]int, len(ids))); err != nil {
		t.Fatal(err)
	}
	return r.Dst
}

// close32 reports whether got matches want to tol relative to the largest
// value of want (float32 sums in another order).
func close32(got, want []float32, tol float64) bool {
	scale := 1.0
	for _, v := range want[:len(got)] {
		scale = math.Max(scale, math.Abs(float64(v)))
	}
	for i, v := range got {
		if math.Abs(float64(v-want[i])) > tol*scale {
			return false
		}
	}
	return true
}

func TestProbeErrors(t *testing.T) {
	cfg, src := goldenSource(t, "llama")
	m, err := New(cfg, src)
	if err != nil {
		t.Fatal(err)
	}
	H, ids := cfg.Hidden, []int{1, 2, 3}
	row := make([]float32, H)
	for i, tc := range []struct {
		dst    int
		res    Residual
		probes []Probe
	}{
		{H, Residual{After: 1}, []Probe{{At: 3, Row: row}}},
		{H, Residual{After: 1}, []Probe{{At: -1, Row: row}}},
		{H, Residual{After: 1}, []Probe{{At: 0, Row: row[1:]}}},
		{H, Residual{After: m.Layers() + 1}, []Probe{{At: 0, Row: row}}},
		{H - 1, Residual{After: 1}, []Probe{{At: 0, Row: row}}},
		{H, Residual{After: 1, Dst: make([]float32, H)}, []Probe{{At: 0, Row: row}}},
	} {
		name := fmt.Sprintf("case %d", i)
		if err := m.ProbeResidual(make([]float32, tc.dst), tc.res, ids, tc.probes); !errors.Is(err, ErrInput) {
			t.Errorf("%s: %v, want ErrInput", name, err)
		}
	}
}
