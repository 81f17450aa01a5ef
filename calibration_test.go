package transplant

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"

	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/recipe"
)

func openExample(t *testing.T) (*Session, []byte) {
	t.Helper()
	s, err := Open(context.Background(), Inputs{Base: "testdata/example/base", Tokenizer: "testdata/example/new-tokenizer"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	text, err := os.ReadFile("testdata/example/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	return s, text[:16000]
}

// calibrateMean calibrates on text, for the head map of mean rows it
// returns.
func calibrateMean(t *testing.T, s *Session, text []byte, o CalibrationOptions) (*heuristics.Map, *Calibration) {
	t.Helper()
	ctx := context.Background()
	b, err := s.Build(ctx, Choice{Input: heuristics.Mean{}}, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Calibrate(ctx, text, o)
	if err != nil {
		t.Fatal(err)
	}
	return b.table(heuristics.OutputHead).Map, c
}

// headTable is the session's base head, old rows only when real.
func headTable(t *testing.T, s *Session, real bool) (Table, blas32.General) {
	t.Helper()
	ht, _ := s.table(heuristics.OutputHead)
	head, err := s.readBase(ht, &scratch{})
	if err != nil {
		t.Fatal(err)
	}
	if real {
		head = realRows(head, ht)
	}
	return ht, head
}

// Each fitted row minimizes the objective package calibrate documents on
// the samples the base gave: its gradient vanishes there. Rows of tokens
// the text lacks keep their prior when asked to (see
// TestLowerUnseenMeetsTargets for what they get otherwise).
func TestCalibrationFitsTheBaseSamples(t *testing.T) {
	ctx := context.Background()
	s, text := openExample(t)
	prior, c := calibrateMean(t, s, text, CalibrationOptions{KeepUnseen: true})
	fitted, rep, err := c.Fit(ctx, prior)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Fitted == 0 || rep.Fitted+rep.Kept != len(prior.Rows) || rep.Occurrences == 0 || rep.Lambda <= 0 {
		t.Fatalf("report %+v", rep)
	}
	w, err := prior.RowWriter(c.base)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, r := range fitted.Rows {
		if prior.Rows[i].Delta != nil {
			t.Fatal("Fit changed the prior map")
		}
		if r.Delta == nil {
			if len(c.samples.targets[i]) > 0 || r.How != prior.Rows[i].How {
				t.Fatalf("row %d has samples but no fit", i)
			}
			continue
		}
		n++
		if r.How != HowCalibrated {
			t.Errorf("row %d: how %q", i, r.How)
		}
		p := make([]float32, c.base.Cols)
		w.Row(p, i)
		checkStationary(t, c, i, c.samples.states[i], c.samples.targets[i], p, r.Delta, rep.Lambda)
	}
	if n != rep.Fitted {
		t.Errorf("%d rows with a delta, report says %d", n, rep.Fitted)
	}
	checkShared(t, c, fitted, rep)
}

// checkShared checks the corrections of shared rows: one per shared token
// with samples, of a copied row, each stationary for its objective.
func checkShared(t *testing.T, c *Calibration, fitted *heuristics.Map, rep *CalibrationReport) {
	t.Helper()
	sr := c.samples.shared
	if rep.Shared == 0 || rep.Shared != len(fitted.Corrections) {
		t.Fatalf("%d corrections, report says %d", len(fitted.Corrections), rep.Shared)
	}
	if err := c.s.checkMap(fitted, c.base.Cols); err != nil {
		t.Fatal(err)
	}
	row := map[int]int{}
	for r, id := range sr.newID {
		row[id] = r
	}
	for _, k := range []int{0, len(fitted.Corrections) / 2, len(fitted.Corrections) - 1} {
		cr := fitted.Corrections[k]
		r := row[cr.ID]
		p := c.base.Data[sr.old[r]*c.base.Stride : sr.old[r]*c.base.Stride+c.base.Cols]
		checkNormalEquations(t, c, cr.ID, sr.states[r], sr.targets[r], p, cr.Delta, rep.Lambda)
	}
}

// checkNormalEquations solves the normal equations of
// Σ(x·h−y)² + Σ(x·s−p·s)² + λ‖x−p‖² in float64 and checks that p + delta
// is their solution, to the precision a float32 row holds.
func checkNormalEquations(t *testing.T, c *Calibration, id int, states []float32, targets []float64, p, delta []float32, lambda float64) {
	t.Helper()
	d := len(p)
	a, b := mat.NewSymDense(d, nil), mat.NewVecDense(d, nil)
	add := func(h []float32, y float64) {
		for i := range d {
			b.SetVec(i, b.AtVec(i)+y*float64(h[i]))
			for j := i; j < d; j++ {
				a.SetSym(i, j, a.At(i, j)+float64(h[i])*float64(h[j]))
			}
		}
	}
	for k, y := range targets {
		add(states[k*d:(k+1)*d], y)
	}
	for k := range c.samples.stay.Rows {
		sk := c.samples.stay.Data[k*d : (k+1)*d]
		add(sk, dot32(p, sk))
	}
	for i := range d {
		a.SetSym(i, i, a.At(i, i)+lambda)
		b.SetVec(i, b.AtVec(i)+lambda*float64(p[i]))
	}
	var x mat.VecDense
	if err := x.SolveVec(a, b); err != nil {
		t.Fatal(err)
	}
	var off, moved, size float64
	for i := range d {
		want := x.AtVec(i) - float64(p[i])
		off += (float64(delta[i]) - want) * (float64(delta[i]) - want)
		moved += want * want
		size += float64(p[i]) * float64(p[i])
	}
	if math.Sqrt(off) > 1e-3*math.Sqrt(moved)+1e-6*math.Sqrt(size) {
		t.Fatalf("new id %d: ‖delta − solution‖ = %g, the solution moves the row by %g", id, math.Sqrt(off), math.Sqrt(moved))
	}
}

// checkStationary checks that x = p + delta zeroes the gradient of
// Σ(x·h−y)² + Σ(x·s−p·s)² + λ‖x−p‖², relative to the size of its terms.
func checkStationary(t *testing.T, c *Calibration, i int, states []float32, targets []float64, p, delta []float32, lambda float64) {
	t.Helper()
	d := len(p)
	x := make([]float64, d)
	for j := range x {
		x[j] = float64(p[j]) + float64(delta[j])
	}
	grad, scale := make([]float64, d), 0.0
	add := func(h []float32, r float64) {
		for j, v := range h {
			grad[j] += r * float64(v)
			scale += math.Abs(r * float64(v))
		}
	}
	for k, y := range targets {
		h := states[k*d : (k+1)*d]
		add(h, dot64(x, h)-y)
	}
	for k := range c.samples.stay.Rows {
		sk := c.samples.stay.Data[k*d : (k+1)*d]
		add(sk, dot64(x, sk)-dot32(p, sk))
	}
	for j := range grad {
		grad[j] += lambda * float64(delta[j])
		scale += math.Abs(lambda * float64(delta[j]))
	}
	for j, g := range grad {
		if math.Abs(g) > 1e-3*scale/float64(d) {
			t.Fatalf("row %d: gradient %g in coordinate %d (scale %g)", i, g, j, scale)
		}
	}
}

func dot32(a, b []float32) float64 {
	s := 0.0
	for j := range a {
		s += float64(a[j]) * float64(b[j])
	}
	return s
}

func TestCalibrateHeadEdges(t *testing.T) {
	ctx := context.Background()
	s, text := openExample(t)
	c := Choice{Input: heuristics.Mean{}, CalibrateHead: true}

	// A text with no new token: the prior stays, with a warning.
	b, err := s.Build(ctx, c, BuildOptions{CalibrationText: []byte("\n")})
	if err != nil {
		t.Fatal(err)
	}
	if b.Calibration == nil || b.Calibration.Fitted != 0 || b.Calibration.Warning == "" {
		t.Errorf("empty text: %+v", b.Calibration)
	}
	if _, err := s.Build(ctx, c, BuildOptions{CalibrationText: text, Shard: 0, Shards: 2}); !errors.Is(err, ErrShard) {
		t.Errorf("calibrating a shard: %v, want ErrShard", err)
	}
	if _, err := s.Build(ctx, c, BuildOptions{}); err == nil {
		t.Error("calibration without a text accepted")
	}
}

// A recipe of a calibrated run holds the prior and the text's fingerprint;
// applied with the same text to the base it was made from, it writes what
// the run wrote; without the text, or with another, it refuses.
func TestCalibratedRecipe(t *testing.T) {
	ctx := context.Background()
	s, text := openExample(t)
	dir := t.TempDir()
	c := Choice{Input: heuristics.Mean{}, Output: heuristics.Mean{}, CalibrateHead: true}
	b, err := s.Build(ctx, c, BuildOptions{CalibrationText: text})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cal.recipe")
	saveRecipeT(t, s, b, path)
	direct := filepath.Join(dir, "direct")
	if _, err := s.Write(ctx, direct, b, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	a, err := Open(ctx, Inputs{Base: "testdata/example/base", Recipe: path})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.RecipeBuilt(ctx, nil); !errors.Is(err, ErrCalibrationText) {
		t.Errorf("no text: %v, want ErrCalibrationText", err)
	}
	if _, err := a.RecipeBuilt(ctx, text[:len(text)-1]); !errors.Is(err, recipe.ErrMismatch) {
		t.Errorf("another text: %v, want ErrMismatch", err)
	}
	rb, err := a.RecipeBuilt(ctx, text)
	if err != nil {
		t.Fatal(err)
	}
	applied := filepath.Join(dir, "applied")
	if _, err := a.Write(ctx, applied, rb, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(filepath.Join(direct, "model.safetensors"))
	y, _ := os.ReadFile(filepath.Join(applied, "model.safetensors"))
	if len(x) == 0 || !bytes.Equal(x, y) || rb.Calibration == nil || rb.Calibration.Fitted != b.Calibration.Fitted {
		t.Error("the applied recipe's weights differ from the calibrated run's")
	}
}

// Calibration reads the head off the forward model it runs, not a second
// copy, and those are the head table's values exactly.
func TestCalibrationSharesTheForwardHead(t *testing.T) {
	s, _ := openExample(t)
	m, err := s.baseForward()
	if err != nil {
		t.Fatal(err)
	}
	ht, want := headTable(t, s, false)
	got, err := s.calibrationHead(m, ht)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != want.Rows || got.Cols != want.Cols {
		t.Fatalf("head %d×%d, table %d×%d", got.Rows, got.Cols, want.Rows, want.Cols)
	}
	for i := range want.Rows {
		for j := range want.Cols {
			if g, w := got.Data[i*got.Stride+j], want.Data[i*want.Stride+j]; g != w {
				t.Fatalf("head[%d][%d] = %v, table %v", i, j, g, w)
			}
		}
	}
	if &got.Data[0] != &m.HeadWeights()[0] {
		t.Error("calibration holds its own copy of the head")
	}
}

// A plan that calibrates counts the forward model in float32 and the
// samples of its text, the text's length read up to the most calibration
// reads.
func TestPlanCountsCalibrationMemory(t *testing.T) {
	s, _ := openExample(t)
	plain, err := s.Plan(Choice{Input: heuristics.Mean{}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if plain.CalibrationBytes != 0 {
		t.Errorf("a plan without calibration counts %d bytes for it", plain.CalibrationBytes)
	}
	plan := func(textBytes int) Plan {
		t.Helper()
		p, err := s.Plan(Choice{Input: heuristics.Mean{}, CalibrateHead: true, CalibrationBytes: textBytes}, "")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ht, _ := s.table(heuristics.OutputHead)
	small, large := plan(30000), plan(300000)
	samples := func(n int) int64 { return int64(n/calBytesPerToken) * calSamplesPerToken * int64(ht.width()) * 4 }
	if least := 4*s.base.NumParameters() + samples(30000); small.CalibrationBytes < least {
		t.Errorf("calibrating on 30 kB: %d bytes, less than the model in float32 and the samples (%d)", small.CalibrationBytes, least)
	}
	if d := s.calibrationFitBytes(300000) - s.calibrationFitBytes(30000); d != samples(300000)-samples(30000) {
		t.Errorf("ten times the text costs %d bytes more, want the samples' %d", d, samples(300000)-samples(30000))
	}
	w := int64(ht.width())
	if split := s.transplantPassBytes(w, int64(runtime.GOMAXPROCS(0))); large.CalibrationBytes != max(s.calibrationFitBytes(300000), split) || split < 4*s.base.NumParameters()+2*int64(s.alignment.Rows)*w*4 {
		t.Errorf("calibrating on 300 kB: %d bytes, want the larger of the fit's %d and the space splits' %d, which hold the transplant in float32", large.CalibrationBytes, s.calibrationFitBytes(300000), split)
	}
	if large.MemoryBytes < large.CalibrationBytes+overheadBytes || large.MemoryBytes <= plain.MemoryBytes {
		t.Errorf("plan %d bytes with calibration (%d of it), %d without", large.MemoryBytes, large.CalibrationBytes, plain.MemoryBytes)
	}
	if whole, capped := plan(0), plan(10*DefaultCalibrationBytes); whole.CalibrationBytes != capped.CalibrationBytes {
		t.Errorf("a text past the %d bytes calibration reads: %d bytes, want %d", DefaultCalibrationBytes, capped.CalibrationBytes, whole.CalibrationBytes)
	}
}
