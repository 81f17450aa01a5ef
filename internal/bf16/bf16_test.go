package bf16

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestAddScaledKernel: the AVX2 kernel gives the bits of the Go loop, at
// every length (whole rounds of eight and a rest), for any bfloat16 bit
// pattern (NaNs, infinities and subnormals among them) and any sum.
func TestAddScaledKernel(t *testing.T) {
	if !haveAVX2 {
		t.Skip("no AVX2 kernel on this machine: AddScaled is addScaledGo")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for n := range 41 {
		for _, w := range []float64{1, 0.1, -1.0 / 3, math.Inf(1)} {
			src := make([]byte, 2*n)
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			got, want := make([]float64, n), make([]float64, n)
			for i := range got {
				got[i] = rng.NormFloat64() * math.Pow(2, float64(rng.IntN(80)-40))
				want[i] = got[i]
			}
			AddScaled(got, w, src)
			addScaledGo(want, w, src)
			for i := range got {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("n %d, w %v: value %d (bfloat16 %#04x) sums to %v (%#x), the Go loop to %v (%#x)",
						n, w, i, uint16(src[2*i])|uint16(src[2*i+1])<<8, got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
				}
			}
		}
	}
}
