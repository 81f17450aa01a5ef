package eval

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/omp"
)

// Merges whose results are all distinct, each made by one rule only: the
// cut of a result without itself is the two halves of its rule (see
// tokenizer.EncodeSurfaceExcluding).
var synthMerges = []string{"a b", "c d", "ab cd", "e f", "g h", "ef gh", "abcd efgh", "b c", "d e", "f g", "h a"}

// synthProblem is a tokenizer aligned with itself and a base table in
// which every merged token's row is the mean of its halves' rows, so that
// subword decomposition without the token rebuilds it exactly.
func synthProblem(t *testing.T, cols int) (*Reconstruction, blas32.General) {
	t.Helper()
	tokens := mergeTokens("abcdefgh", synthMerges)
	tok := bpeTokenizer(t, tokens, synthMerges, false)
	a, err := align.Align(align.FromTokenizer(tok), align.FromTokenizer(tok), align.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rows := 1 + len(tokens)
	base := blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
	for i := range base.Data[:9*cols] { // <unk> and the letters
		base.Data[i] = float32(rng.NormFloat64())
	}
	for i, m := range synthMerges {
		l, r := splitMerge(m)
		lid, _ := tok.ID(l)
		rid, _ := tok.ID(r)
		id := 9 + i
		for j := range cols {
			base.Data[id*cols+j] = (base.Data[lid*cols+j] + base.Data[rid*cols+j]) / 2
		}
	}
	return &Reconstruction{Old: tok, New: tok, Alignment: a, Tables: []ReconstructionTable{{Name: "input embedding", Base: base}}}, base
}

func splitMerge(m string) (string, string) {
	for i := range m {
		if m[i] == ' ' {
			return m[:i], m[i+1:]
		}
	}
	return m, ""
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
	r, base := synthProblem(t, 4)
	r.Tables[0].Donor = linearDonor(base, 6)
	methods := []heuristics.Method{heuristics.Subword{}, omp.Method{}}
	rep, err := Reconstruct(context.Background(), r, methods, ReconstructOptions{HoldOut: 100})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Eligible != len(synthMerges) || len(rep.HeldOut) != len(synthMerges) {
		t.Fatalf("eligible %d, held out %d; want every merged token (%d)", rep.Eligible, len(rep.HeldOut), len(synthMerges))
	}
	if rep.Anchors != 8 {
		t.Errorf("%d anchors, want the 8 letters", rep.Anchors)
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

// problemRecorder is a Method that keeps the problem it is given.
type problemRecorder struct{ p *heuristics.Problem }

func (*problemRecorder) Name() string { return "problemRecorder" }

func (r *problemRecorder) Build(_ context.Context, p *heuristics.Problem, dst blas32.General) (heuristics.Counts, error) {
	r.p = p
	return heuristics.Counts{"recorded": dst.Rows}, nil
}

// Held-out tokens are new to every method: no piece is the token itself,
// no anchor is any held-out token, and pieces are the halves of the merge.
func TestReconstructHoldsOut(t *testing.T) {
	r, _ := synthProblem(t, 4)
	rec := &problemRecorder{}
	rep, err := Reconstruct(context.Background(), r, []heuristics.Method{rec}, ReconstructOptions{HoldOut: 5, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.HeldOut) != 5 || !slices.IsSorted(rep.HeldOut) {
		t.Fatalf("held out %v, want 5 ids in order", rep.HeldOut)
	}
	for _, a := range rec.p.Anchors {
		if slices.Contains(rep.HeldOut, a.New) {
			t.Errorf("anchor %v is held out", a)
		}
	}
	for _, tg := range rec.p.Targets {
		tok, _ := r.New.TokenString(tg.NewID)
		l, rr := splitMerge(synthMerges[tg.NewID-9])
		lid, _ := r.Old.ID(l)
		rid, _ := r.Old.ID(rr)
		want := []heuristics.Piece{{ID: lid, Bytes: len(l)}, {ID: rid, Bytes: len(rr)}}
		if !slices.Equal(tg.Pieces, want) || tg.Bytes != len(tok) {
			t.Errorf("target %q: %+v, want pieces %+v", tok, tg, want)
		}
	}
}

// The sample depends on the seed alone.
func TestReconstructDeterministic(t *testing.T) {
	r, base := synthProblem(t, 4)
	r.Tables[0].Donor = linearDonor(base, 4)
	methods := []heuristics.Method{heuristics.Randn{Scale: 0.1}, heuristics.KNN{K: 2, Temperature: 0.1}}
	run := func(seed uint64) *ReconstructionReport {
		rep, err := Reconstruct(context.Background(), r, methods, ReconstructOptions{HoldOut: 4, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	a, b, c := run(1), run(1), run(2)
	if !slices.Equal(a.HeldOut, b.HeldOut) || method(t, a, 0, "randn").Cosine != method(t, b, 0, "randn").Cosine ||
		method(t, a, 0, "knn").Cosine != method(t, b, 0, "knn").Cosine {
		t.Errorf("two runs with seed 1 differ: %v %v", a.HeldOut, b.HeldOut)
	}
	if slices.Equal(a.HeldOut, c.HeldOut) {
		t.Errorf("seeds 1 and 2 hold out the same tokens %v", a.HeldOut)
	}
}

func TestReconstructErrors(t *testing.T) {
	r, base := synthProblem(t, 4)
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
	small := base
	small.Rows = 5
	r.Tables[0].Donor = small
	if _, err := Reconstruct(ctx, r, []heuristics.Method{heuristics.Subword{}}, ReconstructOptions{}); err == nil {
		t.Error("a donor with fewer rows than new ids was accepted")
	}
	r.Tables[0].Donor = blas32.General{}
	only := bpeTokenizer(t, []string{"a", "b"}, nil, false)
	a, _ := align.Align(align.FromTokenizer(only), align.FromTokenizer(only), align.Options{})
	empty := &Reconstruction{Old: only, New: only, Alignment: a, Tables: r.Tables}
	if _, err := Reconstruct(ctx, empty, []heuristics.Method{heuristics.Subword{}}, ReconstructOptions{}); err == nil {
		t.Error("a vocabulary without multi-byte tokens gave a result")
	}
}

func TestSampleSize(t *testing.T) {
	for _, tt := range []struct {
		opts           ReconstructOptions
		eligible, want int
	}{
		{ReconstructOptions{}, 20000, DefaultHoldOut},
		{ReconstructOptions{}, 300, 300},
		{ReconstructOptions{HoldOut: 50}, 300, 50},
		{ReconstructOptions{HoldOutFraction: 0.05}, 20000, 1000},
		{ReconstructOptions{HoldOut: 7, HoldOutFraction: 0.5}, 100, 7},
	} {
		if got := tt.opts.sampleSize(tt.eligible); got != tt.want {
			t.Errorf("%+v of %d: %d, want %d", tt.opts, tt.eligible, got, tt.want)
		}
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
