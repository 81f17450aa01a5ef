package omp

import (
	"context"
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/heuristics"
)

// linearBase returns donor·M for a random donor.Cols×cols matrix M, in
// float64 before rounding, and M.
func linearBase(donor blas32.General, cols int) (blas32.General, []float64) {
	g := gaussian(21, donor.Cols, cols)
	m := make([]float64, len(g.Data))
	for i, v := range g.Data {
		m[i] = float64(v) / math.Sqrt(float64(donor.Cols))
	}
	return blas32.General{Rows: donor.Rows, Cols: cols, Stride: cols, Data: mapRows(donor, m, cols)}, m
}

func mapRows(x blas32.General, m []float64, cols int) []float32 {
	out := make([]float32, x.Rows*cols)
	for i := range x.Rows {
		for c := range cols {
			var v float64
			for k := range x.Cols {
				v += float64(x.Data[i*x.Stride+k]) * m[k*cols+c]
			}
			out[i*cols+c] = float32(v)
		}
	}
	return out
}

// When the base model's space is a linear image of the donor's and a new
// token's donor row is an exact combination of anchors, the transplanted
// row is the image of the donor row: widths may differ.
func TestTransplantLinearImage(t *testing.T) {
	const anchors, hidden, baseHidden = 300, 48, 32
	donor := gaussian(22, anchors+4, hidden)
	for i := range donor.Data[:anchors*hidden] {
		donor.Data[i] = float32(math.Round(float64(donor.Data[i])*64) / 64)
	}
	// Rows 300..303 are new tokens: exact 3-sparse combinations of anchors.
	for i, combo := range [][3]int{{1, 2, 3}, {10, 200, 299}, {5, 6, 150}, {42, 43, 44}} {
		row := donor.Data[(anchors+i)*hidden : (anchors+i+1)*hidden]
		for c := range row {
			row[c] = donor.Data[combo[0]*hidden+c] - 0.5*donor.Data[combo[1]*hidden+c] + 2*donor.Data[combo[2]*hidden+c]
		}
	}
	base, m := linearBase(donor, baseHidden)
	// The base table lists the shared tokens in reverse order.
	var pairs []Anchor
	for j := range anchors {
		pairs = append(pairs, Anchor{Donor: j, Base: anchors - 1 - j})
	}
	rev := blas32.General{Rows: anchors, Cols: baseHidden, Stride: baseHidden, Data: make([]float32, anchors*baseHidden)}
	for j := range anchors {
		copy(rev.Data[(anchors-1-j)*baseHidden:], base.Data[j*baseHidden:(j+1)*baseHidden])
	}
	targets := []int{300, 301, 302, 303}
	dst := blas32.General{Rows: 4, Cols: baseHidden, Stride: baseHidden, Data: make([]float32, 4*baseHidden)}
	sol, err := Transplant(context.Background(), dst, donor, rev, pairs, targets, Options{K: 16})
	if err != nil {
		t.Fatal(err)
	}
	want := mapRows(gather(donor, targets), m, baseHidden)
	for i := range want {
		if math.Abs(float64(dst.Data[i]-want[i])) > 1e-4 {
			t.Fatalf("row %d col %d: %g, want %g (supports %v)", i/baseHidden, i%baseHidden, dst.Data[i], want[i], sol.Support(i/baseHidden))
		}
	}
}

// Transplant's rows are the solution's coefficients applied to the
// anchors' base rows, whatever the targets.
func TestTransplantCombines(t *testing.T) {
	donor := structured(23, 700, 40, 10)
	base := structured(24, 650, 24, 10)
	var pairs []Anchor
	for j := range 600 {
		pairs = append(pairs, Anchor{Donor: j, Base: (j * 7) % 650})
	}
	targets := []int{600, 650, 699}
	dst := blas32.General{Rows: 3, Cols: 24, Stride: 24, Data: make([]float32, 72)}
	sol, err := Transplant(context.Background(), dst, donor, base, pairs, targets, Options{K: 12})
	if err != nil {
		t.Fatal(err)
	}
	for i := range targets {
		for c := range 24 {
			var v float64
			for j, a := range sol.Support(i) {
				v += sol.Coef(i)[j] * float64(base.Data[pairs[a].Base*24+c])
			}
			if math.Abs(float64(dst.Data[i*24+c])-v) > 1e-5*(1+math.Abs(v)) {
				t.Fatalf("target %d col %d: %g, want %g", i, c, dst.Data[i*24+c], v)
			}
		}
	}
}

func TestTransplantErrors(t *testing.T) {
	donor, base := gaussian(25, 20, 8), gaussian(26, 15, 6)
	ok := []Anchor{{0, 0}, {1, 1}, {2, 2}}
	dst := blas32.General{Rows: 1, Cols: 6, Stride: 6, Data: make([]float32, 6)}
	nanBase := gaussian(26, 15, 6)
	nanBase.Data[6] = float32(math.Inf(1))
	for _, tc := range []struct {
		name    string
		dst     blas32.General
		base    blas32.General
		anchors []Anchor
		targets []int
		want    error
	}{
		{"no anchors", dst, base, nil, []int{5}, ErrShape},
		{"donor row out of range", dst, base, []Anchor{{20, 0}}, []int{5}, ErrShape},
		{"base row out of range", dst, base, []Anchor{{0, -1}}, []int{5}, ErrShape},
		{"target out of range", dst, base, ok, []int{20}, ErrShape},
		{"destination shape", blas32.General{Rows: 1, Cols: 8, Stride: 8, Data: make([]float32, 8)}, base, ok, []int{5}, ErrShape},
		{"infinite base anchor row", dst, nanBase, ok, []int{5}, ErrNonFinite},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := append([]float32(nil), tc.dst.Data...)
			_, err := Transplant(context.Background(), tc.dst, donor, tc.base, tc.anchors, tc.targets, Options{})
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			for i := range before {
				if before[i] != tc.dst.Data[i] {
					t.Fatal("destination written on error")
				}
			}
		})
	}
}

// Method runs as a heuristics.Method: it needs the donor table, fills one
// row per target, counts rows by why their pursuit stopped, and reports
// the solution.
func TestMethod(t *testing.T) {
	donor := structured(27, 400, 32, 8)
	base := structured(28, 380, 20, 8)
	p := &heuristics.Problem{Base: base, Donor: donor}
	for j := range 350 {
		p.Anchors = append(p.Anchors, heuristics.Anchor{Old: j, New: j + 20})
	}
	for _, id := range []int{0, 5, 19, 370} {
		p.Targets = append(p.Targets, heuristics.Target{NewID: id})
	}
	var reported *Solution
	m := Method{Options: Options{K: 8}, Report: func(_ *heuristics.Problem, s *Solution) { reported = s }}
	dst := blas32.General{Rows: 4, Cols: 20, Stride: 20, Data: make([]float32, 80)}
	counts, err := m.Build(context.Background(), p, dst)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name() != "omp" || counts["omp (stopped by k)"] != 4 || reported == nil || reported.Len() != 4 {
		t.Fatalf("counts %v, reported %v", counts, reported)
	}
	p.Donor = blas32.General{}
	if _, err := m.Build(context.Background(), p, dst); !errors.Is(err, heuristics.ErrNoDonor) {
		t.Fatalf("without donor: %v", err)
	}
}
