package omp

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

var precisions = []struct {
	name string
	f64  bool
}{{"float32", false}, {"float64", true}}

// A target that is an exact sparse combination of anchors, with the
// combination exact in float32, is recovered exactly: the same anchors,
// the same coefficients, a zero residual, and an early stop.
func TestExactSparseRecovery(t *testing.T) {
	const anchors, hidden = 400, 256
	d := gaussian(3, anchors, hidden)
	for i := range d.Data {
		d.Data[i] = float32(math.Round(float64(d.Data[i])*64) / 64)
	}
	rng := rand.New(rand.NewPCG(4, 4))
	type want struct {
		support []int32
		coef    []float64
	}
	var wants []want
	x := blas32.General{Rows: 12, Cols: hidden, Stride: hidden, Data: make([]float32, 12*hidden)}
	for i := range x.Rows {
		s := rng.Perm(anchors)[:2+i%7]
		w := want{}
		for _, a := range s {
			c := float64(rng.IntN(8)+1) / 4 * float64(1-2*rng.IntN(2))
			w.support = append(w.support, int32(a))
			w.coef = append(w.coef, c)
			for k := range hidden {
				x.Data[i*hidden+k] += float32(c) * d.Data[a*hidden+k]
			}
		}
		wants = append(wants, w)
	}
	for _, p := range precisions {
		t.Run(p.name, func(t *testing.T) {
			sol, err := Solve(context.Background(), d, x, Options{K: 32, Float64: p.f64})
			if err != nil {
				t.Fatal(err)
			}
			for i, w := range wants {
				got := map[int32]float64{}
				for j, a := range sol.Support(i) {
					got[a] = sol.Coef(i)[j]
				}
				if len(got) != len(w.support) || sol.Stop(i) != StopOrthogonal {
					t.Errorf("target %d: chose %v (%v), want %v", i, sol.Support(i), sol.Stop(i), w.support)
					continue
				}
				for j, a := range w.support {
					if math.Abs(got[a]-w.coef[j]) > 1e-9 {
						t.Errorf("target %d: anchor %d has coefficient %g, want %g", i, a, got[a], w.coef[j])
					}
				}
				if sol.Residual(i) > 1e-9 {
					t.Errorf("target %d: residual %g", i, sol.Residual(i))
				}
			}
		})
	}
}

// A target equal to an anchor ends with that anchor at coefficient 1 and
// every other coefficient zero. With normalized selection the anchor is
// the first and only pick (its cosine is 1). Without, a longer anchor
// pointing nearly the same way can correlate more and be picked first;
// the least-squares refit then zeroes it once the anchor itself is in.
func TestTargetEqualsAnchor(t *testing.T) {
	d := structured(5, 500, 64, 12)
	rows := []int{7, 123, 499}
	x := gather(d, rows)
	for _, p := range precisions {
		for _, norm := range []bool{false, true} {
			sol, err := Solve(context.Background(), d, x, Options{Float64: p.f64, Normalize: norm})
			if err != nil {
				t.Fatal(err)
			}
			for i, a := range rows {
				sup, coef := sol.Support(i), sol.Coef(i)
				if norm && len(sup) != 1 {
					t.Errorf("%s normalized: target %d: chose %v, want only %d", p.name, i, sup, a)
				}
				for j, s := range sup {
					want := 0.0
					if int(s) == a {
						want = 1
					}
					if math.Abs(coef[j]-want) > 1e-9 {
						t.Errorf("%s normalize=%v: target %d: anchor %d has coefficient %g, want %g", p.name, norm, i, s, coef[j], want)
					}
				}
				if !slices.Contains(sup, int32(a)) || sol.Residual(i) > 1e-9 || sol.Stop(i) != StopOrthogonal {
					t.Errorf("%s normalize=%v: target %d: chose %v (%v), residual %g", p.name, norm, i, sup, sol.Stop(i), sol.Residual(i))
				}
			}
		}
	}
}

// With atoms c_i·e_i (scaled unit vectors), correlations are c_i·r_i, so
// plain OMP takes coordinates in order of |c_i·x_i| and normalized OMP in
// order of |x_i|; either way the coefficient of atom i is x_i/c_i.
func TestScaledBasis(t *testing.T) {
	const n = 24
	rng := rand.New(rand.NewPCG(6, 6))
	d := blas32.General{Rows: n, Cols: n, Stride: n, Data: make([]float32, n*n)}
	scale := make([]float64, n)
	for i := range n {
		scale[i] = float64(i%5+1) / 2
		d.Data[i*n+i] = float32(scale[i])
	}
	x := blas32.General{Rows: 1, Cols: n, Stride: n, Data: make([]float32, n)}
	for i := range x.Data {
		x.Data[i] = float32(rng.Float64()*2 - 1)
	}
	for _, norm := range []bool{false, true} {
		key := func(i int) float64 {
			if norm {
				return math.Abs(float64(x.Data[i]))
			}
			return math.Abs(scale[i] * float64(x.Data[i]))
		}
		order := make([]int32, n)
		for i := range order {
			order[i] = int32(i)
		}
		slices.SortFunc(order, func(a, b int32) int { return -cmpFloat(key(int(a)), key(int(b))) })
		sol, err := Solve(context.Background(), d, x, Options{K: 10, Normalize: norm})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(sol.Support(0), order[:10]) {
			t.Errorf("normalize=%v: chose %v, want %v", norm, sol.Support(0), order[:10])
		}
		for j, a := range sol.Support(0) {
			if want := float64(x.Data[a]) / scale[a]; math.Abs(sol.Coef(0)[j]-want) > 1e-6 {
				t.Errorf("normalize=%v: anchor %d has coefficient %g, want %g", norm, a, sol.Coef(0)[j], want)
			}
		}
	}
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Properties of any least-squares pursuit: the residual is orthogonal to
// every chosen anchor, Residual reports ‖x − Σγd‖, no anchor repeats, and
// the tolerance is honoured.
func TestSolutionProperties(t *testing.T) {
	d := structured(8, 1500, 96, 20)
	x := structured(9, 40, 96, 20)
	for _, p := range precisions {
		for _, tol := range []float64{0, 0.3} {
			sol, err := Solve(context.Background(), d, x, Options{K: 40, Tolerance: tol, Float64: p.f64})
			if err != nil {
				t.Fatal(err)
			}
			for i := range x.Rows {
				r := residualOf(d, x, sol, i)
				xn := norm64(x.Data[i*96 : (i+1)*96])
				rn := math.Sqrt(dot(r, r))
				if math.Abs(rn-sol.Residual(i)) > 1e-9*xn || math.Abs(sol.RelativeResidual(i)-rn/xn) > 1e-9 {
					t.Errorf("%s tol=%g target %d: Residual %g, recomputed %g", p.name, tol, i, sol.Residual(i), rn)
				}
				seen := map[int32]bool{}
				for _, a := range sol.Support(i) {
					if seen[a] {
						t.Errorf("%s target %d: anchor %d chosen twice", p.name, i, a)
					}
					seen[a] = true
					if c := dot64r(d.Data[int(a)*96:int(a+1)*96], r); math.Abs(c) > 1e-6*xn*norm64(d.Data[int(a)*96:int(a+1)*96]) {
						t.Errorf("%s target %d: residual correlates %g with chosen anchor %d", p.name, i, c, a)
					}
				}
				switch sol.Stop(i) {
				case StopTolerance:
					if sol.Residual(i) > tol*xn*(1+1e-9) {
						t.Errorf("%s target %d: stopped by tolerance at %g > %g", p.name, i, sol.Residual(i), tol*xn)
					}
				case StopK:
					if len(sol.Support(i)) != 40 || (tol > 0 && sol.Residual(i) <= tol*xn*(1-1e-9)) {
						t.Errorf("%s target %d: stopped by K with %d anchors, residual %g", p.name, i, len(sol.Support(i)), sol.Residual(i))
					}
				default:
					t.Errorf("%s target %d: unexpected stop %v", p.name, i, sol.Stop(i))
				}
			}
		}
	}
}

func residualOf(d, x blas32.General, sol *Solution, i int) []float64 {
	r := make([]float64, x.Cols)
	for c := range r {
		r[c] = float64(x.Data[i*x.Stride+c])
	}
	for j, a := range sol.Support(i) {
		for c := range r {
			r[c] -= sol.Coef(i)[j] * float64(d.Data[int(a)*d.Stride+c])
		}
	}
	return r
}

// The answer does not depend on how the work is cut: batch size, thread
// count, a memory budget that forces the Gram cache to evict and
// recompute, or the precision of the screen.
func TestIndependentOfScheduling(t *testing.T) {
	anchors, targets := 3000, 300
	if testing.Short() {
		anchors, targets = 1200, 120
	}
	d := structured(10, anchors, 64, 16)
	x := structured(11, targets, 64, 16)
	ref, err := Solve(context.Background(), d, x, Options{K: 24})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"one thread", Options{K: 24, Threads: 1}},
		{"batch 7", Options{K: 24, BatchSize: 7, Threads: 3}},
		{"evicting cache", Options{K: 24, MaxMemory: 4 << 20}},
		{"float64", Options{K: 24, Float64: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sol, err := Solve(context.Background(), d, x, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "evicting cache" && sol.Stats.CacheColumns >= d.Rows {
				t.Fatalf("cache holds %d columns: the budget does not force eviction", sol.Stats.CacheColumns)
			}
			for i := range x.Rows {
				if !slices.Equal(sol.Support(i), ref.Support(i)) {
					t.Fatalf("target %d: %v, want %v", i, sol.Support(i), ref.Support(i))
				}
				for j, c := range sol.Coef(i) {
					if math.Abs(c-ref.Coef(i)[j]) > 1e-12*math.Max(1, math.Abs(c)) {
						t.Fatalf("target %d: coefficient %d is %g, want %g", i, j, c, ref.Coef(i)[j])
					}
				}
			}
		})
	}
}

// Solve and the textbook full-correlation pursuit choose the same anchors
// on generic data, where no two correlations come within float32 noise.
func TestAgreesWithFullCorrelation(t *testing.T) {
	d := structured(12, 2500, 128, 32)
	x := structured(13, 60, 128, 32)
	for _, norm := range []bool{false, true} {
		opts := Options{K: 32, Normalize: norm}
		a, err := Solve(context.Background(), d, x, opts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := SolveFullCorrelation(context.Background(), d, x, opts)
		if err != nil {
			t.Fatal(err)
		}
		same := 0
		for i := range x.Rows {
			if slices.Equal(a.Support(i), b.Support(i)) {
				same++
			}
		}
		if same < x.Rows-1 {
			t.Errorf("normalize=%v: %d of %d supports agree", norm, same, x.Rows)
		}
	}
}

func TestErrors(t *testing.T) {
	d := gaussian(14, 50, 8)
	x := gaussian(15, 3, 8)
	nan := gaussian(15, 3, 8)
	nan.Data[9] = float32(math.NaN())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name    string
		ctx     context.Context
		d, x    blas32.General
		opts    Options
		want    error
		wantCtx bool
	}{
		{name: "width", d: d, x: gaussian(1, 3, 9), want: ErrShape},
		{name: "empty dictionary", d: blas32.General{Cols: 8, Stride: 8}, x: x, want: ErrShape},
		{name: "short data", d: blas32.General{Rows: 50, Cols: 8, Stride: 8, Data: d.Data[:100]}, x: x, want: ErrShape},
		{name: "nan", d: d, x: nan, want: ErrNonFinite},
		{name: "negative k", d: d, x: x, opts: Options{K: -1}, want: ErrOptions},
		{name: "negative tolerance", d: d, x: x, opts: Options{Tolerance: -1}, want: ErrOptions},
		{name: "tiny memory", d: d, x: x, opts: Options{MaxMemory: 100}, want: ErrMemory},
		{name: "batch over memory", d: d, x: x, opts: Options{BatchSize: 3, MaxMemory: 20000}, want: ErrMemory},
		{name: "cancelled", ctx: ctx, d: d, x: x, want: context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.ctx
			if c == nil {
				c = context.Background()
			}
			_, err := Solve(c, tc.d, tc.x, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
}

// K above the number of anchors is lowered to it, and no targets is no work.
func TestEdgeSizes(t *testing.T) {
	d := gaussian(16, 5, 8)
	sol, err := Solve(context.Background(), d, gaussian(17, 2, 8), Options{K: 64})
	if err != nil {
		t.Fatal(err)
	}
	if sol.K() != 5 || len(sol.Support(0)) != 5 {
		t.Errorf("K = %d, support %v", sol.K(), sol.Support(0))
	}
	sol, err = Solve(context.Background(), d, blas32.General{Cols: 8, Stride: 8}, Options{})
	if err != nil || sol.Len() != 0 {
		t.Errorf("no targets: %v, %v", sol, err)
	}
	// A zero target needs no anchor; zero anchors are never chosen.
	x := gaussian(18, 2, 8)
	clear(x.Data[:8])
	clear(d.Data[2*8 : 3*8])
	for _, norm := range []bool{false, true} {
		sol, err = Solve(context.Background(), d, x, Options{Normalize: norm})
		if err != nil {
			t.Fatal(err)
		}
		if len(sol.Support(0)) != 0 || sol.Stop(0) != StopOrthogonal || slices.Contains(sol.Support(1), 2) || len(sol.Support(1)) != 4 {
			t.Errorf("normalize=%v: zero target: %v (%v); other: %v", norm, sol.Support(0), sol.Stop(0), sol.Support(1))
		}
	}
}

func TestProgress(t *testing.T) {
	d := structured(18, 800, 32, 8)
	x := structured(19, 50, 32, 8)
	last := 0
	_, err := Solve(context.Background(), d, x, Options{K: 8, BatchSize: 20, Progress: func(done, total int) {
		if done < last || total != 50 {
			t.Errorf("progress %d/%d after %d", done, total, last)
		}
		last = done
	}})
	if err != nil || last != 50 {
		t.Fatalf("last progress %d, err %v", last, err)
	}
}

func TestIamax(t *testing.T) {
	for _, tc := range []struct {
		x    []float32
		want int
	}{
		{[]float32{0, 0, 0}, 0},
		{[]float32{1, -3, 2, 3}, 1},
		{[]float32{-0.5, 0.25, float32(math.Inf(-1)), 7}, 2},
		{[]float32{1e-40, -2e-40}, 1},
	} {
		x64 := make([]float64, len(tc.x))
		for i, v := range tc.x {
			x64[i] = float64(v)
		}
		if got, got64 := iamax32(tc.x), iamax64(x64); got != tc.want || got64 != tc.want {
			t.Errorf("iamax(%v) = %d, %d; want %d", tc.x, got, got64, tc.want)
		}
	}
}

// Nearly low-rank anchors make coefficients large next to the residual, so
// the float32 screen cancels badly and targets must rebase, hundreds at a
// time here, with fewer anchors than targets in a rebase group. The
// choices still match the float64 screen's.
func TestRebase(t *testing.T) {
	d := structured(30, 60, 64, 6)
	x := structured(31, 300, 64, 6)
	sol, err := Solve(context.Background(), d, x, Options{K: 60})
	if err != nil {
		t.Fatal(err)
	}
	if sol.Stats.Rebases < fillBatch {
		t.Fatalf("%d rebases: the problem does not exercise them", sol.Stats.Rebases)
	}
	ref, err := Solve(context.Background(), d, x, Options{K: 60, Float64: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := range x.Rows {
		if !slices.Equal(sol.Support(i), ref.Support(i)) {
			t.Fatalf("target %d: %v, float64 screen %v", i, sol.Support(i), ref.Support(i))
		}
	}
}

// The inner products of the Cholesky update must be float64-accurate in
// every build: the coefficients and the dependence test rest on them.
func TestDotIsFloat64(t *testing.T) {
	g := gaussian(40, 2, 1024)
	a, b := g.Data[:1024], g.Data[1024:]
	var want float64
	for i := range a {
		want += float64(a[i]) * float64(b[i])
	}
	if got := dsdot()(a, b); math.Abs(got-want) > 1e-12*math.Abs(want) {
		t.Fatalf("dsdot = %.17g, want %.17g", got, want)
	}
}
