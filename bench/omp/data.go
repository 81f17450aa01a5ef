package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/internal/fastblas"
)

// A problem is a seeded, embedding-like OMP problem on disk, shared by the
// Go benchmark and the scikit-learn script.
type problem struct {
	Name    string `json:"name"`
	Anchors int    `json:"anchors"`
	Targets int    `json:"targets"`
	Hidden  int    `json:"hidden"`
	Rank    int    `json:"rank"`
	K       int    `json:"k"`
	Seed    uint64 `json:"seed"`
	// FullTargets is the problem's target count when only the first
	// Targets are stored (large).
	FullTargets int `json:"full_targets,omitempty"`
}

var problems = map[string]problem{
	"small":  {Name: "small", Anchors: 4096, Targets: 1024, Hidden: 256, Rank: 32, K: 32, Seed: 1},
	"medium": {Name: "medium", Anchors: 32768, Targets: 8192, Hidden: 1024, Rank: 128, K: 64, Seed: 2},
	// large keeps only a slice of its 60,000 targets on disk; the rest is
	// projected.
	"large": {Name: "large", Anchors: 100000, Targets: 60000, Hidden: 4096, Rank: 512, K: 64, Seed: 3},
}

// structured returns rows×cols data shaped like an embedding table: a
// low-rank part with a decaying spectrum (rank directions, weights
// 1/√(1+r/8)), a shared mean direction, isotropic noise carrying about a
// quarter of the energy, and row norms spread log-normally (σ = 0.3). The
// anchors and targets of a problem share the basis and the mean.
func structured(seed uint64, rows, cols, rank int, basis, mean []float32) blas32.General {
	rng := rand.New(rand.NewPCG(seed, 99))
	z := make([]float32, rows*rank)
	for i := range rows {
		for r := range rank {
			z[i*rank+r] = float32(rng.NormFloat64() / math.Sqrt(1+float64(r)/8))
		}
	}
	m := blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
	fastblas.Float32().Sgemm(blas.NoTrans, blas.NoTrans, rows, cols, rank, 1, z, rank, basis, cols, 0, m.Data, cols)
	noise := 0.6 / math.Sqrt(float64(cols))
	for i := range rows {
		scale := math.Exp(0.3 * rng.NormFloat64())
		row := m.Data[i*cols : (i+1)*cols]
		for c := range row {
			row[c] = float32(scale * (float64(row[c]) + float64(mean[c]) + noise*rng.NormFloat64()))
		}
	}
	return m
}

// generate writes p's anchors and the first targets rows of its targets
// into dir.
func generate(dir string, p problem, targets int) error {
	rng := rand.New(rand.NewPCG(p.Seed, 1))
	basis := make([]float32, p.Rank*p.Hidden)
	for i := range basis {
		basis[i] = float32(rng.NormFloat64() / math.Sqrt(float64(p.Hidden)))
	}
	mean := make([]float32, p.Hidden)
	for i := range mean {
		mean[i] = float32(0.8 * rng.NormFloat64() / math.Sqrt(float64(p.Hidden)))
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeF32(filepath.Join(dir, "anchors.f32"), structured(p.Seed+1, p.Anchors, p.Hidden, p.Rank, basis, mean)); err != nil {
		return err
	}
	if err := writeF32(filepath.Join(dir, "targets.f32"), structured(p.Seed+2, targets, p.Hidden, p.Rank, basis, mean)); err != nil {
		return err
	}
	if targets < p.Targets {
		p.FullTargets = p.Targets
	}
	p.Targets = targets
	b, _ := json.MarshalIndent(p, "", "  ")
	return os.WriteFile(filepath.Join(dir, "problem.json"), b, 0o644)
}

func writeF32(path string, m blas32.General) error {
	buf := make([]byte, 4*len(m.Data))
	for i, v := range m.Data {
		binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
	}
	return os.WriteFile(path, buf, 0o644)
}

// full returns the problem's target count, stored or not.
func (p problem) full() int { return max(p.Targets, p.FullTargets) }

// load reads a problem written by generate.
func load(dir string) (problem, blas32.General, blas32.General, error) {
	var p problem
	b, err := os.ReadFile(filepath.Join(dir, "problem.json"))
	if err != nil {
		return p, blas32.General{}, blas32.General{}, err
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, blas32.General{}, blas32.General{}, fmt.Errorf("%s: %w", dir, err)
	}
	d, err := readF32(filepath.Join(dir, "anchors.f32"), p.Anchors, p.Hidden)
	if err != nil {
		return p, d, d, err
	}
	x, err := readF32(filepath.Join(dir, "targets.f32"), p.Targets, p.Hidden)
	return p, d, x, err
}

func readF32(path string, rows, cols int) (blas32.General, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return blas32.General{}, err
	}
	if len(b) != 4*rows*cols {
		return blas32.General{}, fmt.Errorf("%s: %d bytes, want %d×%d float32", path, len(b), rows, cols)
	}
	m := blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return m, nil
}
