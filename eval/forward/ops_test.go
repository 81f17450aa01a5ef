package forward

import (
	"math"
	"testing"
)

func TestExpf(t *testing.T) {
	var worst float64
	for x := -87.0; x <= 88.5; x += 0.001 {
		got := float64(expf(float32(x)))
		want := math.Exp(float64(float32(x)))
		worst = math.Max(worst, math.Abs(got-want)/want)
	}
	if worst > 2.5e-7 {
		t.Errorf("expf relative error up to %.3g, want ≤ 2.5e-7 (about 2 ulp)", worst)
	}
	edges := []struct{ x, want float32 }{
		{0, 1},
		{float32(math.Inf(-1)), 0},
		{-100, 0},
		{100, float32(math.Inf(1))},
	}
	for _, e := range edges {
		if got := expf(e.x); got != e.want {
			t.Errorf("expf(%g) = %g, want %g", e.x, got, e.want)
		}
	}
	if nan := float32(math.NaN()); expf(nan) == expf(nan) {
		t.Error("expf(NaN) is not NaN")
	}
}

func TestLogSumExp(t *testing.T) {
	x := make([]float32, 50257)
	for i := range x {
		x[i] = float32(math.Sin(float64(i))*20 + 3)
	}
	want := refLogSumExp(x)
	if got := logSumExp(x); math.Abs(got-want) > 1e-6 {
		t.Errorf("logSumExp = %.9g, want %.9g", got, want)
	}
}

// expSum, through the AVX2 kernel where the CPU has it and the scalar tail,
// agrees with math.Exp element by element for every tail length.
func TestExpSum(t *testing.T) {
	for n := 1; n <= 41; n++ {
		x := make([]float32, n)
		for i := range x {
			x[i] = float32(math.Cos(float64(i*n))*30 - 10)
		}
		x[n/2] = -200 // underflows
		m := maxOf(x)
		want := make([]float64, n)
		var wantSum float64
		for i, v := range x {
			// The difference is taken in float32, as everywhere in the model.
			want[i] = math.Exp(float64(v - m))
			wantSum += want[i]
		}
		if got := maxOf(x); got != m || m != slicesMax(x) {
			t.Fatalf("n=%d: maxOf = %g, want %g", n, got, slicesMax(x))
		}
		sum := expSum(x, m)
		for i, got := range x {
			if d := math.Abs(float64(got) - want[i]); d > 2.5e-7*want[i] && d > 1e-37 {
				t.Errorf("n=%d: exp at %d = %g, want %g", n, i, got, want[i])
			}
		}
		if math.Abs(sum-wantSum) > 2.5e-7*wantSum {
			t.Errorf("n=%d: sum %g, want %g", n, sum, wantSum)
		}
	}
}

// refLogSumExp is log Σ exp(x_i) in float64, straight from the definition.
func refLogSumExp(x []float32) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	var s float64
	for _, v := range x {
		s += math.Exp(float64(v) - m)
	}
	return m + math.Log(s)
}

func slicesMax(x []float32) float32 {
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	return m
}
