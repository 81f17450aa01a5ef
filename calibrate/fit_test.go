package calibrate

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"
)

func randomStates(rng *rand.Rand, n, d int) blas32.General {
	g := blas32.General{Rows: n, Cols: d, Stride: d, Data: make([]float32, n*d)}
	for i := range g.Data {
		g.Data[i] = float32(rng.NormFloat64())
	}
	return g
}

func randomRow(rng *rand.Rand, d int) []float32 {
	r := make([]float32, d)
	for i := range r {
		r[i] = float32(rng.NormFloat64())
	}
	return r
}

func dot(a []float32, b []float32) float64 {
	s := 0.0
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

// normalEquations solves the objective Fit documents by its normal
// equations, (HᵀH + SᵀS + λI) x = Hᵀy + Sᵀt + λp, independently of the
// factored form Fit uses; the stay targets t are stayY, or Sp when nil.
func normalEquations(prior []float32, states, stay blas32.General, y, stayY []float64, lambda float64) []float64 {
	d := len(prior)
	a := mat.NewDense(d, d, nil)
	b := mat.NewVecDense(d, nil)
	add := func(h []float32, target float64) {
		for i := range d {
			for j := range d {
				a.Set(i, j, a.At(i, j)+float64(h[i])*float64(h[j]))
			}
			b.SetVec(i, b.AtVec(i)+float64(h[i])*target)
		}
	}
	for i := range states.Rows {
		add(states.Data[i*d:(i+1)*d], y[i])
	}
	for r := range stay.Rows {
		s := stay.Data[r*d : (r+1)*d]
		if stayY != nil {
			add(s, stayY[r])
		} else {
			add(s, dot(s, prior))
		}
	}
	for i := range d {
		a.Set(i, i, a.At(i, i)+lambda)
		b.SetVec(i, b.AtVec(i)+lambda*float64(prior[i]))
	}
	var x mat.VecDense
	if err := x.SolveVec(a, b); err != nil {
		panic(err)
	}
	return x.RawVector().Data
}

func TestFitSolvesItsObjective(t *testing.T) {
	for _, c := range []struct {
		name       string
		n, stay, d int
		lambda     float64
	}{
		{"few states", 3, 20, 8, 0.5},
		{"more states than width", 30, 10, 8, 2},
		{"no stay contexts", 5, 0, 6, 1},
		{"one state", 1, 40, 16, 10},
		{"stay contexts beyond a block", 4, stayBlock + 44, 8, 1},
		// n + r < d: Fit works in the span of the states and the stay contexts.
		{"in the span: states and stay contexts", 5, 20, 64, 0.5},
		{"in the span: one state", 1, 10, 32, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(c.n)))
			states, stay := randomStates(rng, c.n, c.d), randomStates(rng, c.stay, c.d)
			prior := randomRow(rng, c.d)
			y := make([]float64, c.n)
			for i := range y {
				y[i] = rng.NormFloat64() * 3
			}
			f, err := NewFitter(stay, c.lambda)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]float32, c.d)
			if err := f.Fit(got, prior, states, y); err != nil {
				t.Fatal(err)
			}
			want := normalEquations(prior, states, stay, y, nil, c.lambda)
			for j := range want {
				if math.Abs(float64(got[j])-want[j]) > 1e-4*math.Max(1, math.Abs(want[j])) {
					t.Fatalf("x[%d] = %g, normal equations give %g", j, got[j], want[j])
				}
			}
		})
	}
}

// Stay contexts with targets of their own, given as SᵀS and Sᵀt: the
// Gram fitter's Anchor then Fit solve the same normal equations.
func TestGramFitterWithStayTargets(t *testing.T) {
	const n, nStay, d, lambda = 6, 50, 10, 0.7
	rng := rand.New(rand.NewPCG(3, 5))
	states, stay := randomStates(rng, n, d), randomStates(rng, nStay, d)
	prior := randomRow(rng, d)
	y, stayY := make([]float64, n), make([]float64, nStay)
	for i := range y {
		y[i] = rng.NormFloat64() * 3
	}
	gram, st := make([]float64, d*d), make([]float32, d)
	for r := range nStay {
		stayY[r] = rng.NormFloat64() * 3
		s := stay.Data[r*d : (r+1)*d]
		for i := range d {
			st[i] += s[i] * float32(stayY[r])
			for j := range d {
				gram[i*d+j] += float64(s[i]) * float64(s[j])
			}
		}
	}
	f, err := NewGramFitter(gram, d, lambda)
	if err != nil {
		t.Fatal(err)
	}
	anchor, got := make([]float32, d), make([]float32, d)
	if err := f.Anchor(anchor, st, prior); err != nil {
		t.Fatal(err)
	}
	if err := f.Fit(got, anchor, states, y); err != nil {
		t.Fatal(err)
	}
	want := normalEquations(prior, states, stay, y, stayY, lambda)
	for j := range want {
		if math.Abs(float64(got[j])-want[j]) > 1e-3*math.Max(1, math.Abs(want[j])) {
			t.Fatalf("x[%d] = %g, normal equations give %g", j, got[j], want[j])
		}
	}
	if _, err := NewGramFitter(gram[:d], d, lambda); !errors.Is(err, ErrInput) {
		t.Errorf("short Gram matrix: %v", err)
	}
}

// Logits linear in a known row w: with targets w·h on more states than the
// width and a vanishing ridge, the fit finds w from any prior; with the
// prior already w, it stays there whatever the ridge.
func TestFitRecoversALinearHead(t *testing.T) {
	const n, d = 40, 12
	rng := rand.New(rand.NewPCG(7, 7))
	states := randomStates(rng, n, d)
	w, prior := randomRow(rng, d), randomRow(rng, d)
	y := make([]float64, n)
	for i := range y {
		y[i] = dot(w, states.Data[i*d:(i+1)*d])
	}
	stay := randomStates(rng, 5, d)
	for _, c := range []struct {
		prior  []float32
		lambda float64
	}{{prior, 1e-9}, {w, 100}} {
		f, err := NewFitter(blas32.General{Cols: d}, c.lambda)
		if c.lambda > 1 {
			f, err = NewFitter(stay, c.lambda)
		}
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, d)
		if err := f.Fit(got, c.prior, states, y); err != nil {
			t.Fatal(err)
		}
		for j := range w {
			if math.Abs(float64(got[j]-w[j])) > 1e-4 {
				t.Fatalf("λ %g: x[%d] = %g, want %g", c.lambda, j, got[j], w[j])
			}
		}
	}
}

func TestFitErrors(t *testing.T) {
	if _, err := NewFitter(blas32.General{Cols: 4}, 0); err == nil {
		t.Error("λ = 0 accepted")
	}
	f, err := NewFitter(blas32.General{Cols: 4}, 1)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, 4)
	states := blas32.General{Rows: 2, Cols: 4, Stride: 4, Data: make([]float32, 8)}
	if err := f.Fit(row, row, states, []float64{1}); !errors.Is(err, ErrInput) {
		t.Errorf("one target for two states: %v", err)
	}
	if err := f.Fit(row[:3], row, states, []float64{1, 2}); !errors.Is(err, ErrInput) {
		t.Errorf("short destination: %v", err)
	}
	prior := []float32{1, 2, 3, 4}
	if err := f.Fit(row, prior, blas32.General{Cols: 4}, nil); err != nil || dot(row, row) != 30 {
		t.Errorf("no states: %v, row %v, want the prior", err, row)
	}
}
