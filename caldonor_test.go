package transplant

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"

	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/recipe"
)

// openWithDonor opens the example with a donor on the new tokenizer: the
// base itself moved onto it (mean rows), written to a temporary directory.
func openWithDonor(t *testing.T) (*Session, []byte) {
	t.Helper()
	ctx := context.Background()
	s, text := openExample(t)
	b, err := s.Build(ctx, Choice{Input: heuristics.Mean{}}, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	donor := filepath.Join(t.TempDir(), "donor")
	if _, err := s.Write(ctx, donor, b, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	d, err := Open(ctx, Inputs{Base: "testdata/example/base", Tokenizer: "testdata/example/new-tokenizer", Donor: donor})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, text[:6000]
}

// Calibrated to a donor, a row's targets are the donor's log-probability
// plus the base's log-normalizer where the two stand at the same byte
// (checked against both models run on their own over the first window),
// and each fitted row zeroes the gradient of
// Σ_occ (x·h − y)² + Σ_donor (x·s − t)² + λ‖x − p‖².
func TestCalibrationToTheDonor(t *testing.T) {
	ctx := context.Background()
	s, text := openWithDonor(t)
	c, err := s.Calibrate(ctx, text, CalibrationOptions{Donor: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.report.DonorContexts == 0 || c.samples.donor.samples != c.report.DonorContexts {
		t.Fatalf("report %+v", c.report)
	}
	for _, stride := range []int{1, 3} {
		checkDonorTargets(t, s, c, text, stride)
	}

	b, err := s.Build(ctx, Choice{Input: heuristics.Mean{}}, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	prior := b.table(heuristics.OutputHead).Map
	fitted, rep, err := c.Fit(ctx, prior)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Fitted != len(prior.Rows) || rep.Kept != 0 {
		t.Errorf("fitted %d, kept %d of %d rows: every row has donor contexts", rep.Fitted, rep.Kept, len(prior.Rows))
	}
	w, err := prior.RowWriter(c.base)
	if err != nil {
		t.Fatal(err)
	}
	d := c.base.Cols
	for _, i := range []int{0, len(prior.Rows) / 2, len(prior.Rows) - 1} {
		p := make([]float32, d)
		w.Row(p, i)
		x := make([]float64, d)
		for j := range x {
			x[j] = float64(p[j] + fitted.Rows[i].Delta[j])
		}
		// ∇ = Σ_occ (x·h − y)h + (Gx − Sᵀt) + λ(x − p)
		grad, scale := make([]float64, d), 0.0
		for k, y := range c.samples.targets[i] {
			h := c.samples.states[i][k*d : (k+1)*d]
			r := dot64(x, h) - y
			for j, v := range h {
				grad[j] += r * float64(v)
			}
		}
		st := make([]float32, d)
		c.samples.donor.column(st, i)
		for j := range d {
			gx := 0.0
			for k := range d {
				gx += c.samples.donor.gram[j*d+k] * x[k]
			}
			grad[j] += gx - float64(st[j]) + rep.Lambda*(x[j]-float64(p[j]))
			scale += math.Abs(gx) + math.Abs(float64(st[j]))
		}
		for j, g := range grad {
			if math.Abs(g) > 1e-4*scale/float64(d) {
				t.Fatalf("row %d: gradient %g in coordinate %d (scale %g)", i, g, j, scale)
			}
		}
	}
}

// checkDonorTargets recomputes the donor's part of the first window's
// targets with each model run alone, and compares them with Sᵀt; the
// donor reads the window taking a sample after every stride-th new token.
func checkDonorTargets(t *testing.T, s *Session, c *Calibration, text []byte, stride int) {
	t.Helper()
	mA, err := s.baseForward()
	if err != nil {
		t.Fatal(err)
	}
	dr, err := s.donorReader(c.base, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	dr.stride = stride
	st := s.calStreamOf(text, mA.Config().BOS)
	// A window whose first new token is not a multiple of the stride: the
	// samples follow the text's tokens, not the window's.
	spans := st.tokenSpans(min(mA.Context(), 256))
	sp := spans[0]
	for _, c := range spans {
		if stride == 1 || c.newStart%stride != 0 {
			sp = c
			break
		}
	}
	if stride > 1 && sp.newStart%stride == 0 {
		t.Fatalf("no window of %d starts off the stride %d", len(spans), stride)
	}
	win, err := runWindow(mA, st, sp)
	if err != nil {
		t.Fatal(err)
	}
	if err := dr.read(st, sp, win); err != nil {
		t.Fatal(err)
	}
	vA, vB := mA.Config().VocabSize, dr.model.Config().VocabSize
	la := make([]float32, (sp.end-sp.start)*vA)
	if err := mA.Logits(la, st.ids[sp.start:sp.end]); err != nil {
		t.Fatal(err)
	}
	idsB := make([]int, sp.newEnd-sp.newStart)
	for k := range idsB {
		if idsB[k] = st.newIDs[sp.newStart+k]; idsB[k] < 0 {
			idsB[k] = dr.bos
		}
	}
	lb := make([]float32, len(idsB)*vB)
	if err := dr.model.Logits(lb, idsB); err != nil {
		t.Fatal(err)
	}
	checked := 0
	for k := sp.newStart; k < sp.newEnd && checked < 5; k++ {
		at := st.pos[k+1] - 1
		if st.pos[k+1] == st.pos[k] || k%stride != 0 {
			continue
		}
		rowA := la[(at-sp.start)*vA : (at-sp.start+1)*vA]
		rowB := lb[(k-sp.newStart)*vB : (k-sp.newStart+1)*vB]
		zA, zB := logSumExp64(rowA), logSumExp64(rowB)
		for _, tok := range []int{0, len(dr.ids) - 1} {
			want := float64(rowB[dr.ids[tok]]) - zB + zA
			got := float64(win.donor.targets.Data[checked*len(dr.ids)+tok])
			if math.Abs(got-want) > 1e-3*math.Max(1, math.Abs(want)) {
				t.Fatalf("token %d, sample %d: target %g, the two models give %g", tok, checked, got, want)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no sample checked")
	}
}

func logSumExp64(x []float32) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	s := 0.0
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

// Without a donor there is nothing to calibrate to; a head fitted to the
// donor cannot go into a recipe, whose applies have none.
func TestCalibrationToTheDonorRefusals(t *testing.T) {
	ctx := context.Background()
	s, text := openExample(t)
	if _, err := s.Calibrate(ctx, text, CalibrationOptions{Donor: true}); !errors.Is(err, ErrNoDonorModel) {
		t.Errorf("no donor: %v, want ErrNoDonorModel", err)
	}
	d, text := openWithDonor(t)
	b, err := d.Build(ctx, Choice{Input: heuristics.Mean{}, CalibrateHead: true, CalibrateToDonor: true}, BuildOptions{CalibrationText: text})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Recipe(b, "test"); !errors.Is(err, recipe.ErrNotRecordable) {
		t.Errorf("recipe of a head fitted to the donor: %v, want ErrNotRecordable", err)
	}
}

// The donor gives a sample at every position until a fit would have
// fewer than donorSamplesPerDim of the text's new tokens per dimension,
// and at every maxDonorStride-th at least.
func TestDonorStride(t *testing.T) {
	for _, c := range []struct{ tokens, width, want int }{
		{255153, 192, 4}, // the shared models on calib.txt
		{100000, 192, 2},
		{40000, 192, 1},
		{8000, 4096, 1},
		{300000, 4096, 1},
		{1 << 30, 64, maxDonorStride},
		{0, 0, 1},
	} {
		if got := donorStride(c.tokens, c.width); got != c.want {
			t.Errorf("donorStride(%d, %d) = %d, want %d", c.tokens, c.width, got, c.want)
		}
	}
}
