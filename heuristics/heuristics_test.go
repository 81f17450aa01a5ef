package heuristics

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"sort"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

func table(rows, cols int, data ...float32) blas32.General {
	if data == nil {
		data = make([]float32, rows*cols)
	}
	return blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: data}
}

func randomTable(rng *rand.Rand, rows, cols int) blas32.General {
	m := table(rows, cols)
	for i := range m.Data {
		m.Data[i] = float32(rng.NormFloat64())
	}
	return m
}

// build runs m on p and applies its map: the rows, packed in target order,
// and the map's counts.
func build(t *testing.T, m Method, p *Problem) (blas32.General, Counts) {
	t.Helper()
	rm, err := m.Build(context.Background(), p)
	if err != nil {
		t.Fatalf("%s: %v", m.Name(), err)
	}
	dst := table(len(p.Targets), p.Base.Cols)
	for i := range dst.Data {
		dst.Data[i] = float32(math.NaN()) // every value must be written
	}
	if err := rm.Apply(context.Background(), dst, p.Base); err != nil {
		t.Fatalf("%s: apply: %v", m.Name(), err)
	}
	for i, r := range rm.Rows {
		if r.ID != p.Targets[i].NewID {
			t.Fatalf("%s: row %d has id %d, target %d", m.Name(), i, r.ID, p.Targets[i].NewID)
		}
	}
	return dst, rm.Counts()
}

func near(a, b []float32, tol float64) bool {
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > tol*(1+math.Abs(float64(b[i]))) {
			return false
		}
	}
	return len(a) == len(b)
}

// base3 is a 3×2 table whose mean is (2, 20).
var base3 = table(3, 2, 1, 10, 2, 20, 3, 30)

func TestZeroAndMean(t *testing.T) {
	p := &Problem{Base: base3, Targets: []Target{{NewID: 0}, {NewID: 1}}}
	dst, c := build(t, Zero{}, p)
	if !near(dst.Data, []float32{0, 0, 0, 0}, 0) || c["zero"] != 2 {
		t.Errorf("zero: %v %v", dst.Data, c)
	}
	got, c := build(t, Mean{}, p)
	if !near(got.Data, []float32{2, 20, 2, 20}, 1e-7) || c["mean"] != 2 {
		t.Errorf("mean: %v %v", got.Data, c)
	}
}

func TestSubword(t *testing.T) {
	targets := []Target{
		{NewID: 0, Bytes: 3, Pieces: []Piece{{ID: 1, Bytes: 3}}},                    // one piece: that row exactly
		{NewID: 1, Bytes: 4, Pieces: []Piece{{ID: 0, Bytes: 1}, {ID: 2, Bytes: 3}}}, // two pieces
		{NewID: 2, Bytes: 2}, // no pieces: mean
		{NewID: 3, Bytes: 2, Pieces: []Piece{{ID: 7, Bytes: 2}}}, // outside the table: mean
	}
	tests := []struct {
		how  Combine
		want []float32
	}{
		{CombineMean, []float32{2, 20, 2, 20, 2, 20, 2, 20}},
		{CombineFirst, []float32{2, 20, 1, 10, 2, 20, 2, 20}},
		{CombineLast, []float32{2, 20, 3, 30, 2, 20, 2, 20}},
		{CombineLength, []float32{2, 20, 0.25*1 + 0.75*3, 0.25*10 + 0.75*30, 2, 20, 2, 20}},
	}
	for _, tt := range tests {
		t.Run(tt.how.String(), func(t *testing.T) {
			for _, role := range []Role{InputEmbedding, OutputHead} {
				m := Subword{Input: tt.how}
				if role == OutputHead {
					m = Subword{Output: tt.how}
				}
				p := &Problem{Base: base3, Targets: targets, Role: role}
				got, c := build(t, m, p)
				if !near(got.Data, tt.want, 1e-6) {
					t.Errorf("%v: got %v, want %v", role, got.Data, tt.want)
				}
				if c["subword"] != 2 || c["mean (no pieces)"] != 2 {
					t.Errorf("counts %v", c)
				}
			}
		})
	}
	if _, err := ParseCombine("median"); err == nil {
		t.Error("ParseCombine accepted an unknown name")
	}
}

func TestRandnMatchesMeanAndCovariance(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	// Base rows with a known mean (1, -2, 3) and a correlated covariance.
	const n, d = 4000, 3
	base := table(n, d)
	for i := 0; i < n; i++ {
		a, b, c := rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
		copy(row(base, i), []float32{float32(1 + a), float32(-2 + a + b), float32(3 + 0.5*c)})
	}
	targets := make([]Target, 20000)
	for i := range targets {
		targets[i].NewID = i
	}
	got, c := build(t, Randn{Scale: 1}, &Problem{Base: base, Targets: targets, Seed: 7})
	if c["randn"] != len(targets) {
		t.Fatalf("counts %v", c)
	}
	wantMean, gotMean := ColumnMean(base), ColumnMean(got)
	if !near(gotMean, wantMean, 0.05) {
		t.Errorf("sample mean %v, want %v", gotMean, wantMean)
	}
	wantCov, gotCov := covariance(base, wantMean), covariance(got, gotMean)
	for i := 0; i < d; i++ {
		for j := 0; j < d; j++ {
			if math.Abs(gotCov.At(i, j)-wantCov.At(i, j)) > 0.08 {
				t.Errorf("cov[%d][%d] = %.3f, want %.3f", i, j, gotCov.At(i, j), wantCov.At(i, j))
			}
		}
	}
}

func TestRandnIsPerToken(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	base := randomTable(rng, 50, 4)
	a, _ := build(t, Randn{Scale: 1}, &Problem{Base: base, Seed: 9, Targets: []Target{{NewID: 10}, {NewID: 11}}})
	b, _ := build(t, Randn{Scale: 1}, &Problem{Base: base, Seed: 9, Targets: []Target{{NewID: 11}, {NewID: 5}, {NewID: 10}}})
	if !near(row(a, 0), row(b, 2), 0) || !near(row(a, 1), row(b, 0), 0) {
		t.Error("a token's row depends on the other targets")
	}
	c, _ := build(t, Randn{Scale: 1}, &Problem{Base: base, Seed: 10, Targets: []Target{{NewID: 10}}})
	if near(row(a, 0), row(c, 0), 1e-6) {
		t.Error("the seed does not change the draw")
	}
}

func TestRandnFallsBackToMean(t *testing.T) {
	// One row: the covariance is zero, so no jitter relative to it helps.
	base := table(1, 3, 1, 2, 3)
	got, c := build(t, Randn{Scale: 1}, &Problem{Base: base, Targets: []Target{{NewID: 0}}})
	if !near(got.Data, []float32{1, 2, 3}, 0) || c["mean (covariance not positive definite)"] != 1 {
		t.Errorf("got %v, counts %v", got.Data, c)
	}
}

func TestSparsemax(t *testing.T) {
	tests := []struct {
		s    []float32
		want []float64
	}{
		{[]float32{1, 0.5, 0}, []float64{0.75, 0.25, 0}},
		{[]float32{3, 0.5}, []float64{1, 0}},
		{[]float32{0.2, 0.2, 0.2, 0.2}, []float64{0.25, 0.25, 0.25, 0.25}},
	}
	for _, tt := range tests {
		got := sparsemax(tt.s, 1)
		for i := range got {
			if math.Abs(got[i]-tt.want[i]) > 1e-7 {
				t.Errorf("sparsemax(%v) = %v, want %v", tt.s, got, tt.want)
				break
			}
		}
	}
}

// bruteNearest ranks every key by cosine similarity in float64.
func bruteNearest(q, keys blas32.General, i, k int) []int32 {
	type cand struct {
		j int
		s float64
	}
	var cs []cand
	for j := 0; j < keys.Rows; j++ {
		cs = append(cs, cand{j, cosine(row(q, i), row(keys, j))})
	}
	sort.SliceStable(cs, func(a, b int) bool { return cs[a].s > cs[b].s })
	out := make([]int32, k)
	for n := range out {
		out[n] = int32(cs[n].j)
	}
	return out
}

func TestNearestMatchesBruteForce(t *testing.T) {
	if testing.Short() {
		t.Skip("block-crossing sizes are slow under -short")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	// More queries and keys than one block of each, to cross block edges.
	q, keys := randomTable(rng, 300, 16), randomTable(rng, 5000, 16)
	all := func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i
		}
		return s
	}
	nb, err := nearest(context.Background(), gatherNormalized(q, all(q.Rows)), gatherNormalized(keys, all(keys.Rows)), 5)
	if err != nil {
		t.Fatal(err)
	}
	mismatches := 0
	for i := 0; i < q.Rows; i++ {
		idx, _ := nb.of(i)
		want := bruteNearest(q, keys, i, 5)
		for n := range want {
			if idx[n] != want[n] {
				mismatches++
				break
			}
		}
	}
	// Float32 rounding may swap near-equal neighbours; anything beyond that is a bug.
	if mismatches > 2 {
		t.Errorf("%d of %d queries differ from brute force", mismatches, q.Rows)
	}
}

func TestKNN(t *testing.T) {
	// Donor rows for new ids 0..3; anchors are new ids 0, 1, 2 (old rows 0, 1, 2).
	donor := table(4, 2, 1, 0, 0, 1, -1, 0, 0.99, 0.1)
	anchors := []Anchor{{Old: 0, New: 0}, {Old: 1, New: 1}, {Old: 2, New: 2}}
	p := &Problem{Base: base3, Donor: donor, Anchors: anchors, Targets: []Target{{NewID: 3}}}
	// Nearly parallel to anchor 0 and a cold temperature: anchor 0's base row.
	got, c := build(t, KNN{K: 2, Temperature: 0.001}, p)
	if !near(got.Data, []float32{1, 10}, 1e-5) || c["knn"] != 1 {
		t.Errorf("cold knn: %v %v", got.Data, c)
	}
	// Sparsemax with a warm temperature keeps both of the two nearest.
	got, _ = build(t, KNN{K: 3, Temperature: 10, Weighting: Sparsemax}, p)
	s0, s1 := cosine([]float32{0.99, 0.1}, []float32{1, 0}), cosine([]float32{0.99, 0.1}, []float32{0, 1})
	s2 := cosine([]float32{0.99, 0.1}, []float32{-1, 0})
	w := sparsemax([]float32{float32(s0), float32(s1), float32(s2)}, 10)
	want := []float32{float32(w[0]*1 + w[1]*2 + w[2]*3), float32(w[0]*10 + w[1]*20 + w[2]*30)}
	if !near(got.Data, want, 1e-5) {
		t.Errorf("sparsemax knn: %v, want %v", got.Data, want)
	}
	if _, err := (KNN{K: 2, Temperature: 1}).Build(context.Background(), &Problem{Base: base3, Targets: []Target{{}}}); err != ErrNoDonor {
		t.Errorf("knn without donor: %v", err)
	}
}

func TestHybrid(t *testing.T) {
	target := Target{NewID: 3, Bytes: 4, Pieces: []Piece{{ID: 0, Bytes: 1}, {ID: 2, Bytes: 3}}}
	// Local only, no donor: softmax over (bytes share)/2 at temperature 0.3.
	h := Hybrid{GlobalWeight: 0, K: 3, Temperature: 0.3, Threshold: 0.6}
	got, c := build(t, h, &Problem{Base: base3, Targets: []Target{target}})
	w := softmax([]float32{0.125, 0.375}, 0.3)
	want := []float32{float32(w[0]*1 + w[1]*3), float32(w[0]*10 + w[1]*30)}
	if !near(got.Data, want, 1e-6) || c["local only"] != 1 {
		t.Errorf("local: %v, want %v (%v)", got.Data, want, c)
	}
	// With a donor where the token sits on anchor 0: global is anchor 0's row.
	donor := table(4, 2, 1, 0, 0, 1, -1, 0, 1, 0)
	anchors := []Anchor{{Old: 0, New: 0}, {Old: 1, New: 1}, {Old: 2, New: 2}}
	h.GlobalWeight = 1
	got, c = build(t, h, &Problem{Base: base3, Donor: donor, Anchors: anchors, Targets: []Target{target}})
	if !near(got.Data, []float32{1, 10}, 1e-6) || c["hybrid"] != 1 {
		t.Errorf("global: %v (%v)", got.Data, c)
	}
	// No pieces and nothing above the threshold: the mean.
	h.Threshold = 2
	got, c = build(t, h, &Problem{Base: base3, Donor: donor, Anchors: anchors, Targets: []Target{{NewID: 3}}})
	if !near(got.Data, []float32{2, 20}, 1e-6) || c["mean (no pieces, no neighbours)"] != 1 {
		t.Errorf("fallback: %v (%v)", got.Data, c)
	}
}

func TestShapeErrors(t *testing.T) {
	p := &Problem{Base: base3, Targets: []Target{{NewID: 0}}}
	rm, err := (Mean{}).Build(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if err := rm.Apply(context.Background(), table(2, 2), base3); !errors.Is(err, ErrMap) {
		t.Errorf("wrong destination rows: %v", err)
	}
	p.Anchors = []Anchor{{Old: 5}}
	if _, err := (Mean{}).Build(context.Background(), p); err == nil {
		t.Error("anchor outside the base accepted")
	}
}

// Apply is the closed form Σ w·base[old] + mean·mean(base), rounded once,
// and refuses maps that reach outside the base, writing nothing.
func TestApply(t *testing.T) {
	m := &Map{Rows: []Row{
		{ID: 7, Terms: []Term{{Old: 0, Weight: 0.5}, {Old: 2, Weight: -1}}},
		{ID: 3, Mean: 2},
		{ID: 9, Terms: []Term{{Old: 1, Weight: 1}}, Mean: -1},
		{ID: 1, Delta: []float32{0.25, -1}},
	}}
	dst := table(4, 2)
	if err := m.Apply(context.Background(), dst, base3); err != nil {
		t.Fatal(err)
	}
	// Rows: 0.5·(1, 10) − (3, 30); 2·mean = (4, 40); (2, 20) − mean = 0;
	// the delta alone.
	want := []float32{-2.5, -25, 4, 40, 0, 0, 0.25, -1}
	if !near(dst.Data, want, 0) {
		t.Errorf("got %v, want %v", dst.Data, want)
	}
	for _, bad := range []*Map{
		{Rows: []Row{{ID: 0, Terms: []Term{{Old: 3, Weight: 1}}}}},
		{Rows: []Row{{ID: -1}}},
		{Rows: []Row{{ID: 0, Noise: true}}},
		{Rows: []Row{{ID: 0}}, Measures: []Measure{{Name: "x", Values: []float64{1, 2}}}},
		{Rows: []Row{{ID: 0, Delta: []float32{1, 2, 3}}}},
	} {
		dst := table(1, 2, 5, 5)
		if err := bad.Apply(context.Background(), dst, base3); !errors.Is(err, ErrMap) || dst.Data[0] != 5 {
			t.Errorf("%+v: err %v, dst %v", bad.Rows, err, dst.Data)
		}
	}
}

// A map's noise is a property of the table it is applied to: applied to
// another table of the same shape, it draws from that table's covariance.
func TestNoiseFollowsTheTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	a, b := randomTable(rng, 200, 3), randomTable(rng, 200, 3)
	for i := range b.Data {
		b.Data[i] *= 10
	}
	targets := make([]Target, 3000)
	for i := range targets {
		targets[i].NewID = i
	}
	rm, err := (Randn{Scale: 1}).Build(context.Background(), &Problem{Base: a, Targets: targets, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	dst := table(len(targets), 3)
	if err := rm.Apply(context.Background(), dst, b); err != nil {
		t.Fatal(err)
	}
	got, want := covariance(dst, ColumnMean(dst)), covariance(b, ColumnMean(b))
	if r := got.At(0, 0) / want.At(0, 0); r < 0.9 || r > 1.1 {
		t.Errorf("variance %.3f, want about %.3f (the other table's)", got.At(0, 0), want.At(0, 0))
	}
}

// Reports record parameters by name.
func TestParamsMarshal(t *testing.T) {
	b, err := json.Marshal(struct {
		S Subword
		K KNN
	}{Subword{Input: CombineLast, Output: CombineLength}, KNN{K: 3, Temperature: 0.5, Weighting: Sparsemax}})
	want := `{"S":{"Input":"last","Output":"length"},"K":{"K":3,"Temperature":0.5,"Weighting":"sparsemax"}}`
	if err != nil || string(b) != want {
		t.Errorf("got %s (%v), want %s", b, err, want)
	}
	var back struct{ S Subword }
	if err := json.Unmarshal(b, &back); err != nil || back.S.Output != CombineLength {
		t.Errorf("round trip: %+v %v", back, err)
	}
}

// Routed gives a target to the fallback when it has no donor row, or when
// the primary's estimate measures poorly; anchors without a donor row are
// never neighbours.
func TestRouted(t *testing.T) {
	// Donor rows for new ids 0..5: anchors 0, 1, 2 (old 0, 1, 2); anchor
	// 2 has no row; targets 3 (near anchor 0), 4 (no row), 5 (orthogonal
	// to every anchor with a row).
	donor := table(6, 3, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0.99, 0.1, 0, 0, 0, 0, 0, 0, 1)
	anchors := []Anchor{{Old: 0, New: 0}, {Old: 1, New: 1}, {Old: 2, New: 2}}
	targets := []Target{{NewID: 3}, {NewID: 4}, {NewID: 5}}
	p := &Problem{Base: base3, Donor: donor, Anchors: anchors, Targets: targets}
	r := Routed{Primary: KNN{K: 1, Temperature: 0.1}, Fallback: Mean{}, MinSimilarity: 0.5}
	got, c := build(t, r, p)
	// Target 3: anchor 0's row; 4: no row, the mean; 5: similarity 0, the mean.
	if !near(got.Data, []float32{1, 10, 2, 20, 2, 20}, 1e-6) {
		t.Errorf("rows %v", got.Data)
	}
	if c["knn"] != 1 || c["mean"] != 1 || c["mean (knn estimate poor)"] != 1 {
		t.Errorf("counts %v", c)
	}
	rm, _ := r.Build(context.Background(), p)
	if routed := rm.Measure(MeasureRouted); routed[0] != 0 || routed[1] != 0 || routed[2] != 1 {
		t.Errorf("routed %v", routed)
	}
	if sim := rm.Measure(MeasureSimilarity); math.IsNaN(sim[0]) || !math.IsNaN(sim[1]) {
		t.Errorf("similarity %v", sim)
	}
	if !RequiresDonor(r) || RequiresDonor(Routed{Primary: Subword{}, Fallback: Mean{}}) {
		t.Error("Routed needs a donor exactly when its primary does")
	}
}
