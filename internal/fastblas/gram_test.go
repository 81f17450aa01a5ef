package fastblas

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Two blocks of rows, one of them strided, add up to the Gram matrix of
// all the rows summed in float64.
func TestAddGram(t *testing.T) {
	const rows, width, lda = 37, 11, 13
	rng := rand.New(rand.NewPCG(1, 2))
	a := make([]float32, rows*lda)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	got := make([]float64, width*width)
	scratch := make([]float32, width*width)
	AddGram(got, 20, width, a, lda, scratch)
	AddGram(got, rows-20, width, a[20*lda:], lda, scratch)
	AddGram(got, 0, width, nil, lda, scratch)
	for i := range width {
		for j := range width {
			want := 0.0
			for r := range rows {
				want += float64(a[r*lda+i]) * float64(a[r*lda+j])
			}
			if g := got[i*width+j]; math.Abs(g-want) > 1e-4*math.Max(1, math.Abs(want)) {
				t.Fatalf("(%d, %d) = %g, want %g", i, j, g, want)
			}
		}
	}
}
