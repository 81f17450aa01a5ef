package transplant

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/heuristics"
)

// A shared token is refitted when seen often enough and recut at least a
// quarter of the time; new tokens never are.
func TestRecutRowsOf(t *testing.T) {
	s, _ := openExample(t)
	var shared []int
	for _, a := range s.anchors {
		if s.alignment.Kind[a.New].Copied() && len(shared) < 4 {
			shared = append(shared, a.New)
		}
	}
	newID := s.targets[0].NewID
	st := &calStream{}
	add := func(id, n, recut int) {
		for k := range n {
			st.newIDs, st.recut = append(st.newIDs, id), append(st.recut, k < recut)
		}
	}
	add(shared[0], 20, 5)  // chosen
	add(shared[1], 19, 19) // too rare
	add(shared[2], 20, 4)  // mostly cut as the base does
	add(shared[3], 40, 40) // chosen
	add(newID, 40, 40)     // not shared
	add(-1, 3, 0)          // chunk starts
	got := s.recutRowsOf(st, 0)
	oldOf := map[int]int{}
	for _, a := range s.anchors {
		oldOf[a.New] = a.Old
	}
	var ids []int
	for _, r := range got {
		ids = append(ids, r.new)
		if r.old != oldOf[r.new] {
			t.Errorf("new id %d: old id %d, its anchor says %d", r.new, r.old, oldOf[r.new])
		}
	}
	want := []int{shared[0], shared[3]}
	slices.Sort(want)
	if !slices.Equal(ids, want) {
		t.Errorf("chose %v, want %v", ids, want)
	}
}

// With every recut row's logit at its target and the base's other logits
// as they are, each recut token gets exactly the donor's probability; a
// new token's target adds the base's log-normalizer to the donor's
// log-probability.
func TestRecutTargets(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const width, old, fresh = 5, 9, 12
	head := blas32.General{Rows: old, Cols: width, Stride: width, Data: make([]float32, old*width)}
	states := blas32.General{Rows: 3, Cols: width, Stride: width, Data: make([]float32, 3*width)}
	for _, d := range [][]float32{head.Data, states.Data} {
		for i := range d {
			d[i] = float32(rng.NormFloat64())
		}
	}
	d := &donorReader{ids: []int{10}, recut: []recutRow{{old: 2, new: 7}, {old: 5, new: 3}}, except: []int{2, 5}}
	all, rest := logNormalizers(states, head, d.except)
	for i := range states.Rows {
		base := make([]float64, old)
		for k := range base {
			base[k] = dotRow(states, i, head, k)
		}
		donor := make([]float32, fresh)
		for k := range donor {
			donor[k] = float32(2 * rng.NormFloat64())
		}
		pd := softmax64(donor)
		out := make([]float32, d.columns())
		d.targets(out, slices.Clone(donor), all[i], rest[i])
		if want := math.Log(pd[10]) + logSumExp(base); math.Abs(float64(out[0])-want) > 1e-4 {
			t.Errorf("state %d: new token's target %g, want %g", i, out[0], want)
		}
		for k, r := range d.recut {
			base[r.old] = float64(out[1+k])
		}
		p := softmax(base)
		for _, r := range d.recut {
			if math.Abs(p[r.old]-pd[r.new]) > 1e-5 {
				t.Errorf("state %d: old id %d gets %g, the donor gives new id %d %g", i, r.old, p[r.old], r.new, pd[r.new])
			}
		}
	}
}

// Recut rows fitted within a calibration with a donor: to the donor alone
// (Donor) or to the base's projection alone (BaseOnly, which runs no
// donor), each zeroes the gradient of Σ (x·s − t)² + λ‖x − p‖² over its
// samples, p the base's row and λ recutRidge times the contexts' mean
// squared norm; by default each row the projection holds is the mean of
// those two fits and any other the donor's; KeepRecut keeps them.
func TestRecutRowsFitted(t *testing.T) {
	ctx := context.Background()
	s, text, prior := openWithDonorMeanHead(t)
	fits := map[string]map[int][]float32{} // per case, each recut row's correction by new id
	var projected []recutRow
	for _, tc := range []struct {
		name string
		o    CalibrationOptions
	}{
		{"blend", CalibrationOptions{recutOccurrences: 2}},
		{"donor", CalibrationOptions{recutOccurrences: 2, Donor: true}},
		{"base", CalibrationOptions{recutOccurrences: 2, BaseOnly: true}},
		{"keep", CalibrationOptions{recutOccurrences: 2, KeepRecut: true}},
	} {
		c, err := s.Calibrate(ctx, text, tc.o)
		if err != nil {
			t.Fatal(err)
		}
		fitted, rep, err := c.Fit(ctx, prior)
		if err != nil {
			t.Fatal(err)
		}
		if tc.name == "keep" {
			if rep.Recut != 0 || len(c.samples.recut) != 0 {
				t.Errorf("KeepRecut: %d rows refitted", rep.Recut)
			}
			continue
		}
		if rep.Recut == 0 || rep.Recut != len(c.samples.recut) {
			t.Fatalf("%s: %d recut rows fitted of %d", tc.name, rep.Recut, len(c.samples.recut))
		}
		switch tc.name {
		case "blend":
			projected = c.samples.projected
		case "donor":
			checkRecutFit(t, c, fitted, c.samples.donor, c.samples.recut, len(prior.Rows))
		case "base":
			if rep.DonorContexts != 0 {
				t.Errorf("BaseOnly: the donor read %d contexts", rep.DonorContexts)
			}
			checkRecutFit(t, c, fitted, c.samples.projection, c.samples.projected, 0)
		}
		fits[tc.name] = map[int][]float32{}
		for _, r := range c.samples.recut {
			i, _ := slices.BinarySearchFunc(fitted.Corrections, r.new, func(c heuristics.Correction, id int) int { return c.ID - id })
			fits[tc.name][r.new] = fitted.Corrections[i].Delta
		}
	}
	if len(projected) == 0 || len(projected) == len(fits["blend"]) {
		t.Fatalf("%d of %d recut rows projected: the test needs both kinds", len(projected), len(fits["blend"]))
	}
	for id, got := range fits["blend"] {
		want := slices.Clone(fits["donor"][id])
		if slices.ContainsFunc(projected, func(r recutRow) bool { return r.new == id }) {
			for j, v := range fits["base"][id] {
				want[j] = (want[j] + v) / 2
			}
		}
		for j := range got {
			if math.Abs(float64(got[j]-want[j])) > 1e-5*math.Max(1, math.Abs(float64(want[j]))) {
				t.Fatalf("new id %d: blended correction %g in coordinate %d, want %g", id, got[j], j, want[j])
			}
		}
	}
}

// openWithDonorMeanHead is openWithDonor with the head map of mean rows,
// the prior calibration fits.
func openWithDonorMeanHead(t *testing.T) (*Session, []byte, *heuristics.Map) {
	t.Helper()
	s, text := openWithDonor(t)
	b, err := s.Build(context.Background(), Choice{Input: heuristics.Mean{}}, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s, text, b.table(heuristics.OutputHead).Map
}

// checkRecutFit checks that the correction of each of rows in fitted zeroes
// the gradient of its ridge least squares on sums, whose columns for rows
// start at first.
func checkRecutFit(t *testing.T, c *Calibration, fitted *heuristics.Map, sums *donorSums, rows []recutRow, first int) {
	t.Helper()
	d := c.base.Cols
	lambda := recutRidge * sums.meanSquaredNorm()
	for k, r := range rows {
		i, ok := slices.BinarySearchFunc(fitted.Corrections, r.new, func(c heuristics.Correction, id int) int { return c.ID - id })
		if !ok {
			t.Fatalf("no correction for recut new id %d", r.new)
		}
		p := c.base.Data[r.old*c.base.Stride : r.old*c.base.Stride+d]
		x := make([]float64, d)
		for j := range x {
			x[j] = float64(p[j] + fitted.Corrections[i].Delta[j])
		}
		st := make([]float32, d)
		sums.column(st, first+k)
		scale := 0.0
		for j := range d {
			gx := 0.0
			for m := range d {
				gx += sums.gram[j*d+m] * x[m]
			}
			g := gx - float64(st[j]) + lambda*(x[j]-float64(p[j]))
			scale = math.Max(scale, math.Abs(gx)+math.Abs(float64(st[j])))
			if math.Abs(g) > 1e-4*scale {
				t.Fatalf("recut new id %d: gradient %g in coordinate %d (scale %g)", r.new, g, j, scale)
			}
		}
	}
}

func softmax64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return softmax(y)
}

func softmax(x []float64) []float64 {
	z := logSumExp(x)
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = math.Exp(v - z)
	}
	return y
}

// With a donor, calibration blends the two fits: each new row is the mean
// of its fit to the base (donor weight 0) and to the donor (weight 1) on
// the same samples, and the shared rows new tokens begin with move half as
// far as the fit to the base moves them.
func TestCalibrationBlendsBaseAndDonor(t *testing.T) {
	ctx := context.Background()
	s, text, prior := openWithDonorMeanHead(t)
	c, err := s.Calibrate(ctx, text, CalibrationOptions{KeepRecut: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.samples.donorWeight != defaultDonorWeight || c.report.DonorContexts == 0 || c.samples.shared == nil {
		t.Fatalf("weight %g, report %+v", c.samples.donorWeight, c.report)
	}
	fit := func(w float64) *heuristics.Map {
		cw := *c
		samples := *c.samples
		samples.donorWeight, cw.samples = w, &samples
		m, _, err := cw.Fit(ctx, prior)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	blend, base, donor := fit(defaultDonorWeight), fit(0), fit(1)
	for _, i := range []int{0, len(prior.Rows) / 2, len(prior.Rows) - 1} {
		for j, v := range blend.Rows[i].Delta {
			want := (base.Rows[i].Delta[j] + donor.Rows[i].Delta[j]) / 2
			if math.Abs(float64(v-want)) > 1e-4*(1+math.Abs(float64(want))) {
				t.Fatalf("row %d, column %d: %g, the mean of the two fits %g", i, j, v, want)
			}
		}
	}
	if len(blend.Corrections) == 0 || len(blend.Corrections) != len(base.Corrections) {
		t.Fatalf("%d shared corrections, %d fitted to the base", len(blend.Corrections), len(base.Corrections))
	}
	for k, corr := range blend.Corrections {
		for j, v := range corr.Delta {
			if want := base.Corrections[k].Delta[j] / 2; math.Abs(float64(v-want)) > 1e-6*(1+math.Abs(float64(want))) {
				t.Fatalf("shared new id %d: %g, half the base's fit %g", corr.ID, v, want)
			}
		}
	}
}
