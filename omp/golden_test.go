package omp

import (
	"compress/gzip"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

// A golden problem and scikit-learn's answer, written by
// scripts/golden/omp/make_golden.py.
type golden struct {
	Name      string
	Data      string
	Anchors   int
	Targets   int
	Hidden    int
	K         int
	Tolerance float64
	Normalize bool
	Expect    []struct {
		Support   []int
		Coef      []float64
		Residual  float64
		TieFree   int     `json:"tie_free"`
		MinGap    float64 `json:"min_gap"`
		Premature bool
	}
	dict, targets blas32.General
}

func loadGoldens(t *testing.T) []*golden {
	t.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no goldens: %v", err)
	}
	var out []*golden
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		g := new(golden)
		if err := json.Unmarshal(b, g); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		g.dict, g.targets = readGoldenData(t, filepath.Join("testdata", "golden", g.Data), g.Anchors, g.Targets, g.Hidden)
		out = append(out, g)
	}
	return out
}

func readGoldenData(t *testing.T, path string, anchors, targets, hidden int) (blas32.General, blas32.General) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil || len(raw) != 4*(anchors+targets)*hidden {
		t.Fatalf("%s: %d bytes, %v", path, len(raw), err)
	}
	vals := make([]float32, len(raw)/4)
	for i := range vals {
		vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return blas32.General{Rows: anchors, Cols: hidden, Stride: hidden, Data: vals[:anchors*hidden]},
		blas32.General{Rows: targets, Cols: hidden, Stride: hidden, Data: vals[anchors*hidden:]}
}

// canonical maps each anchor to the lowest index of its exact duplicates,
// as the golden script does: duplicates always tie.
func canonical(d blas32.General) []int {
	first := map[string]int{}
	out := make([]int, d.Rows)
	for j := range d.Rows {
		row := d.Data[j*d.Stride : j*d.Stride+d.Cols]
		key := string(binary.LittleEndian.AppendUint32(nil, uint32(len(row))))
		for _, v := range row {
			key += string(binary.LittleEndian.AppendUint32(nil, math.Float32bits(v)))
		}
		if _, ok := first[key]; !ok {
			first[key] = j
		}
		out[j] = first[key]
	}
	return out
}

// TestGoldens checks Solve, in both precisions, against scikit-learn's
// orthogonal_mp: identical selections on the tie-free part of every path,
// coefficients within 1e-4 relative on paths without ties, and equal
// residual norms everywhere.
func TestGoldens(t *testing.T) {
	for _, g := range loadGoldens(t) {
		canon := canonical(g.dict)
		for _, f64 := range []bool{false, true} {
			t.Run(g.Name+map[bool]string{false: "/float32", true: "/float64"}[f64], func(t *testing.T) {
				opts := Options{K: g.K, Tolerance: g.Tolerance, Normalize: g.Normalize, Float64: f64}
				sol, err := Solve(context.Background(), g.dict, g.targets, opts)
				if err != nil {
					t.Fatal(err)
				}
				matched, coefErr := compareGolden(t, g, sol, canon, false)
				t.Logf("%d/%d supports match, max coefficient error %.2g relative, %d rechecks", matched, len(g.Expect), coefErr, sol.Stats.Rechecks)
			})
		}
	}
}

// TestGoldensFullCorrelation checks the float32 baseline the benchmark
// compares against: the same selections wherever the path's smallest gap
// between the best and second-best correlation exceeds float32 resolution.
func TestGoldensFullCorrelation(t *testing.T) {
	for _, g := range loadGoldens(t) {
		t.Run(g.Name, func(t *testing.T) {
			opts := Options{K: g.K, Tolerance: g.Tolerance, Normalize: g.Normalize}
			sol, err := SolveFullCorrelation(context.Background(), g.dict, g.targets, opts)
			if err != nil {
				t.Fatal(err)
			}
			matched, coefErr := compareGolden(t, g, sol, canonical(g.dict), true)
			t.Logf("%d/%d supports match, max coefficient error %.2g relative", matched, len(g.Expect), coefErr)
		})
	}
}

// compareGolden reports how many supports match scikit-learn's exactly and
// the largest relative coefficient error among them. loose limits the
// checks to paths whose gaps are wide enough for float32 selection and
// leaves coefficients unchecked: float32 Gram–Schmidt loses digits to the
// conditioning of the support.
func compareGolden(t *testing.T, g *golden, sol *Solution, canon []int, loose bool) (matched int, coefErr float64) {
	t.Helper()
	for i, want := range g.Expect {
		if loose && want.MinGap < 1e-4 {
			continue
		}
		got, coef := sol.Support(i), sol.Coef(i)
		for s := range min(want.TieFree, len(got)) {
			if canon[got[s]] != canon[want.Support[s]] {
				t.Errorf("target %d step %d: chose anchor %d, scikit-learn %d\n got %v\nwant %v", i, s, got[s], want.Support[s], got, want.Support)
				break
			}
		}
		if len(got) < want.TieFree {
			t.Errorf("target %d: stopped (%v) after %d anchors, scikit-learn went on to %d", i, sol.Stop(i), len(got), len(want.Support))
		}
		if d := math.Abs(sol.Residual(i) - want.Residual); d > 1e-4*math.Sqrt(dot64(g.targets.Data[i*g.Hidden:(i+1)*g.Hidden], g.targets.Data[i*g.Hidden:(i+1)*g.Hidden])) {
			t.Errorf("target %d: residual %g, scikit-learn %g", i, sol.Residual(i), want.Residual)
		}
		if want.TieFree < len(want.Support) {
			continue
		}
		if len(got) != len(want.Support) {
			t.Errorf("target %d: %d anchors (stop: %v), scikit-learn %d", i, len(got), sol.Stop(i), len(want.Support))
			continue
		}
		matched++
		var scale float64
		for _, c := range want.Coef {
			scale = max(scale, math.Abs(c))
		}
		for s, c := range want.Coef {
			e := math.Abs(coef[s]-c) / max(math.Abs(c), 1e-3*scale)
			coefErr = max(coefErr, e)
			if e > 1e-4 && !loose {
				t.Errorf("target %d: coefficient %d (anchor %d) is %g, scikit-learn %g", i, s, got[s], coef[s], c)
			}
		}
	}
	return matched, coefErr
}
