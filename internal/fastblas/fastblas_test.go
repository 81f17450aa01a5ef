package fastblas

import (
	"testing"

	"gonum.org/v1/gonum/blas"
)

// A 2×3 by 3×2 product with a hand-computed answer, so both builds are
// checked against the same truth.
func TestSgemm(t *testing.T) {
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{7, 8, 9, 10, 11, 12}
	c := make([]float32, 4)
	Float32().Sgemm(blas.NoTrans, blas.NoTrans, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
	want := []float32{58, 64, 139, 154}
	for i := range want {
		if c[i] != want[i] {
			t.Fatalf("%s: c = %v, want %v", Name(), c, want)
		}
	}
}
