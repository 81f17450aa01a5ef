package eval

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/omp"
)

// synthProblem is a reconstruction problem with a closed-form answer: a
// base table of 8 random "letter" rows and 8 "merged" rows, each the mean
// of two earlier rows; the merged tokens are held out, with their two
// halves as pieces and the letters as anchors, so that subword
// decomposition rebuilds each exactly.
func synthProblem(cols int) *Reconstruction {
	rng := rand.New(rand.NewPCG(1, 2))
	halves := [][2]int{{0, 1}, {2, 3}, {8, 9}, {4, 5}, {6, 7}, {11, 12}, {10, 13}, {1, 2}}
	rows := 8 + len(halves)
	base := blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
	for i := range base.Data[:8*cols] {
		base.Data[i] = float32(rng.NormFloat64())
	}
	p := &heuristics.Problem{Base: base}
	var truth, held []int
	for i, h := range halves {
		id := 8 + i
		for j := range cols {
			base.Data[id*cols+j] = (base.Data[h[0]*cols+j] + base.Data[h[1]*cols+j]) / 2
		}
		p.Targets = append(p.Targets, heuristics.Target{NewID: id, Bytes: 2, Pieces: []heuristics.Piece{{ID: h[0], Bytes: 1}, {ID: h[1], Bytes: 1}}})
		truth, held = append(truth, id), append(held, id)
	}
	for j := range 8 {
		p.Anchors = append(p.Anchors, heuristics.Anchor{Old: j, New: j})
	}
	return &Reconstruction{Seed: 1, Eligible: len(halves), HeldOut: held, Anchors: 8,
		Tables: []ReconstructionTable{{Role: heuristics.InputEmbedding, Tensor: "embed", Problem: p, Truth: truth}}}
}

// linearDonor is base·M for a random cols×width M: a donor space that is an
// injective linear image of the base space.
func linearDonor(base blas32.General, width int) blas32.General {
	rng := rand.New(rand.NewPCG(3, 4))
	m := make([]float64, base.Cols*width)
	for i := range m {
		m[i] = rng.NormFloat64()
	}
	d := blas32.General{Rows: base.Rows, Cols: width, Stride: width, Data: make([]float32, base.Rows*width)}
	for i := range base.Rows {
		for j := range width {
			var s float64
			for k := range base.Cols {
				s += float64(base.Data[i*base.Stride+k]) * m[k*width+j]
			}
			d.Data[i*width+j] = float32(s)
		}
	}
	return d
}

func method(t *testing.T, rep *ReconstructionReport, table int, name string) MethodReconstruction {
	t.Helper()
	for _, m := range rep.Tables[table].Methods {
		if m.Method == name {
			return m
		}
	}
	t.Fatalf("no row for method %s", name)
	return MethodReconstruction{}
}

// Closed forms: subword rebuilds rows that are the mean of their halves
// exactly, and OMP over a donor space linear in the base space rebuilds
// any row exactly (the donor row's coefficients over the anchors are the
// base row's).
func TestReconstructExact(t *testing.T) {
	r := synthProblem(4)
	r.Tables[0].Problem.Donor = linearDonor(r.Tables[0].Problem.Base, 6)
	methods := []heuristics.Method{heuristics.Subword{}, omp.Method{}}
	rep, err := Reconstruct(context.Background(), r, methods, ReconstructOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Eligible != 8 || len(rep.HeldOut) != 8 || rep.Anchors != 8 {
		t.Fatalf("report %+v does not carry the problem's counts", rep)
	}
	for _, name := range []string{"subword", "omp"} {
		m := method(t, rep, 0, name)
		if m.Cosine.P10 < 1-1e-5 || m.RelativeL2.P90 > 1e-3 {
			t.Errorf("%s: cosine %+v, relative L2 %+v; want exact rows", name, m.Cosine, m.RelativeL2)
		}
	}
	mean := rep.Tables[0].Methods[0]
	if mean.Method != "mean" || !mean.Baseline {
		t.Errorf("first row %s (baseline %v), want the mean baseline", mean.Method, mean.Baseline)
	}
	if mean.Cosine.Mean > 0.99 {
		t.Errorf("the mean vector rebuilds the rows too well (cosine %+v): the test cannot tell methods apart", mean.Cosine)
	}
}

// Results depend on the problem alone, random methods included.
func TestReconstructDeterministic(t *testing.T) {
	r := synthProblem(4)
	r.Tables[0].Problem.Donor = linearDonor(r.Tables[0].Problem.Base, 4)
	methods := []heuristics.Method{heuristics.Randn{Scale: 0.1}, heuristics.KNN{K: 2, Temperature: 0.1}}
	run := func() *ReconstructionReport {
		rep, err := Reconstruct(context.Background(), r, methods, ReconstructOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	a, b := run(), run()
	if method(t, a, 0, "randn").Cosine != method(t, b, 0, "randn").Cosine || method(t, a, 0, "knn").Cosine != method(t, b, 0, "knn").Cosine {
		t.Error("two runs differ")
	}
}

func TestReconstructErrors(t *testing.T) {
	r := synthProblem(4)
	ctx := context.Background()
	if _, err := Reconstruct(ctx, r, []heuristics.Method{heuristics.KNN{K: 2, Temperature: 1}}, ReconstructOptions{}); !errors.Is(err, heuristics.ErrNoDonor) {
		t.Errorf("knn without a donor: %v", err)
	}
	if _, err := Reconstruct(ctx, r, []heuristics.Method{omp.Method{}}, ReconstructOptions{}); !errors.Is(err, heuristics.ErrNoDonor) {
		t.Errorf("omp without a donor: %v", err)
	}
	if _, err := Reconstruct(ctx, r, []heuristics.Method{heuristics.Subword{}, heuristics.Subword{}}, ReconstructOptions{}); err == nil {
		t.Error("a method given twice was accepted")
	}
	r.Tables[0].Truth = r.Tables[0].Truth[1:]
	if _, err := Reconstruct(ctx, r, []heuristics.Method{heuristics.Subword{}}, ReconstructOptions{}); err == nil {
		t.Error("fewer true rows than targets accepted")
	}
	if _, err := Reconstruct(ctx, &Reconstruction{}, []heuristics.Method{heuristics.Subword{}}, ReconstructOptions{}); err == nil {
		t.Error("an empty reconstruction gave a result")
	}
}

func TestSummarize(t *testing.T) {
	// numpy.percentile([1..10], [10, 50, 90]) = 1.9, 5.5, 9.1
	x := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	want := Stats{Mean: 5.5, Median: 5.5, P10: 1.9, P90: 9.1}
	got := Summarize(x)
	for _, p := range [][2]float64{{got.Mean, want.Mean}, {got.Median, want.Median}, {got.P10, want.P10}, {got.P90, want.P90}} {
		if math.Abs(p[0]-p[1]) > 1e-12 {
			t.Fatalf("Summarize = %+v, want %+v", got, want)
		}
	}
	if x[0] != 10 {
		t.Error("Summarize sorted its input")
	}
	if s := Summarize([]float64{3}); s != (Stats{3, 3, 3, 3}) {
		t.Errorf("one value: %+v", s)
	}
}

func TestCompareRows(t *testing.T) {
	for _, tt := range []struct {
		got, want   []float32
		cos, relErr float64
	}{
		{[]float32{1, 0}, []float32{1, 0}, 1, 0},
		{[]float32{2, 0}, []float32{1, 0}, 1, 1},
		{[]float32{0, 1}, []float32{1, 0}, 0, math.Sqrt2},
		{[]float32{-1, 0}, []float32{1, 0}, -1, 2},
		{[]float32{0, 0}, []float32{3, 4}, 0, 1},
		{[]float32{0, 0}, []float32{0, 0}, 0, 0},
		{[]float32{1, 0}, []float32{0, 0}, 0, math.Inf(1)},
	} {
		c, e := compareRows(tt.got, tt.want)
		if math.Abs(c-tt.cos) > 1e-12 || (math.Abs(e-tt.relErr) > 1e-12 && !math.IsInf(tt.relErr, 1)) || math.IsInf(tt.relErr, 1) != math.IsInf(e, 1) {
			t.Errorf("compareRows(%v, %v) = %v, %v; want %v, %v", tt.got, tt.want, c, e, tt.cos, tt.relErr)
		}
	}
}
