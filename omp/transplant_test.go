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

// transplant runs Method on the given tables and applies its map: the
// rows built for targets (donor rows), in order.
func transplant(donor, base blas32.General, anchors []heuristics.Anchor, targets []int, opts Options) (blas32.General, *heuristics.Map, error) {
	p := &heuristics.Problem{Base: base, Donor: donor, Anchors: anchors}
	for _, id := range targets {
		p.Targets = append(p.Targets, heuristics.Target{NewID: id})
	}
	rm, err := Method{Options: opts}.Build(context.Background(), p)
	if err != nil {
		return blas32.General{}, nil, err
	}
	dst := blas32.General{Rows: len(targets), Cols: base.Cols, Stride: base.Cols, Data: make([]float32, len(targets)*base.Cols)}
	return dst, rm, rm.Apply(context.Background(), dst, base)
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
	var pairs []heuristics.Anchor
	for j := range anchors {
		pairs = append(pairs, heuristics.Anchor{New: j, Old: anchors - 1 - j})
	}
	rev := blas32.General{Rows: anchors, Cols: baseHidden, Stride: baseHidden, Data: make([]float32, anchors*baseHidden)}
	for j := range anchors {
		copy(rev.Data[(anchors-1-j)*baseHidden:], base.Data[j*baseHidden:(j+1)*baseHidden])
	}
	targets := []int{300, 301, 302, 303}
	dst, rm, err := transplant(donor, rev, pairs, targets, Options{K: 16})
	if err != nil {
		t.Fatal(err)
	}
	want := mapRows(gather(donor, targets), m, baseHidden)
	for i := range want {
		if math.Abs(float64(dst.Data[i]-want[i])) > 1e-4 {
			t.Fatalf("row %d col %d: %g, want %g (terms %v)", i/baseHidden, i%baseHidden, dst.Data[i], want[i], rm.Rows[i/baseHidden].Terms)
		}
	}
}

// The map's rows are the solution's coefficients on the anchors' base
// rows, in the order chosen, whatever the targets; its residuals are the
// solution's.
func TestMethodMapIsTheSolution(t *testing.T) {
	donor := structured(23, 700, 40, 10)
	base := structured(24, 650, 24, 10)
	var pairs []heuristics.Anchor
	var dict []int
	for j := range 600 {
		pairs = append(pairs, heuristics.Anchor{New: j, Old: (j * 7) % 650})
		dict = append(dict, j)
	}
	targets := []int{600, 650, 699}
	dst, rm, err := transplant(donor, base, pairs, targets, Options{K: 12})
	if err != nil {
		t.Fatal(err)
	}
	sol, err := Solve(context.Background(), gather(donor, dict), gather(donor, targets), Options{K: 12})
	if err != nil {
		t.Fatal(err)
	}
	residual := rm.Measure(heuristics.MeasureResidual)
	for i := range targets {
		terms := rm.Rows[i].Terms
		if len(terms) != len(sol.Support(i)) || residual[i] != sol.RelativeResidual(i) {
			t.Fatalf("target %d: %d terms for %d anchors, residual %g want %g", i, len(terms), len(sol.Support(i)), residual[i], sol.RelativeResidual(i))
		}
		for j, a := range sol.Support(i) {
			if terms[j] != (heuristics.Term{Old: pairs[a].Old, Weight: sol.Coef(i)[j]}) {
				t.Fatalf("target %d term %d: %+v, want anchor %d × %g", i, j, terms[j], a, sol.Coef(i)[j])
			}
		}
		for c := range 24 {
			var v float64
			for j, a := range sol.Support(i) {
				v += sol.Coef(i)[j] * float64(base.Data[pairs[a].Old*24+c])
			}
			if math.Abs(float64(dst.Data[i*24+c])-v) > 1e-5*(1+math.Abs(v)) {
				t.Fatalf("target %d col %d: %g, want %g", i, c, dst.Data[i*24+c], v)
			}
		}
	}
}

func TestMethodErrors(t *testing.T) {
	donor, base := gaussian(25, 20, 8), gaussian(26, 15, 6)
	ok := []heuristics.Anchor{{New: 0, Old: 0}, {New: 1, Old: 1}, {New: 2, Old: 2}}
	nanBase := gaussian(26, 15, 6)
	nanBase.Data[6] = float32(math.Inf(1))
	for _, tc := range []struct {
		name    string
		donor   blas32.General
		base    blas32.General
		anchors []heuristics.Anchor
		targets []int
		want    error
	}{
		{"no anchors", donor, base, nil, []int{5}, ErrShape},
		{"donor row out of range", donor, base, []heuristics.Anchor{{New: 20, Old: 0}}, []int{5}, ErrShape},
		{"base row out of range", donor, base, []heuristics.Anchor{{New: 0, Old: -1}}, []int{5}, ErrShape},
		{"target out of range", donor, base, ok, []int{20}, ErrShape},
		{"infinite base anchor row", donor, nanBase, ok, []int{5}, ErrNonFinite},
		{"no donor", blas32.General{}, base, ok, []int{5}, heuristics.ErrNoDonor},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := transplant(tc.donor, tc.base, tc.anchors, tc.targets, Options{}); !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

// Method counts rows by why their pursuit stopped.
func TestMethodCounts(t *testing.T) {
	donor := structured(27, 400, 32, 8)
	base := structured(28, 380, 20, 8)
	var anchors []heuristics.Anchor
	for j := range 350 {
		anchors = append(anchors, heuristics.Anchor{Old: j, New: j + 20})
	}
	_, rm, err := transplant(donor, base, anchors, []int{0, 5, 19, 370}, Options{K: 8})
	if err != nil {
		t.Fatal(err)
	}
	if c := rm.Counts(); c["omp (stopped by k)"] != 4 || len(rm.Rows) != 4 {
		t.Fatalf("counts %v", c)
	}
}
