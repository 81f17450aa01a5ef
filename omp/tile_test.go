package omp

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Every tileFunc of the build computes the block update to within the
// rounding bound the screen assumes, zeroes the support, and returns the
// largest magnitude it left in dst, exactly.
func TestTile(t *testing.T) {
	t.Run("float32", func(t *testing.T) { testTile(t, tile32(), 0x1p-24) })
	t.Run("float64", func(t *testing.T) { testTile(t, tile64(), 0x1p-53) })
	t.Run("portable float32", func(t *testing.T) { testTile(t, tileGo[float32], 0x1p-24) })
	t.Run("portable float64", func(t *testing.T) { testTile(t, tileGo[float64], 0x1p-53) })
}

func testTile[F float](t *testing.T, tile tileFunc[F], unit float64) {
	rng := rand.New(rand.NewPCG(5, 6))
	const slots = 40
	base := make([]F, slots*tileRows)
	for i := range base {
		base[i] = F(rng.NormFloat64())
	}
	for _, tc := range []struct {
		cols int
		zero []int32
	}{
		{0, nil}, {1, nil}, {3, []int32{0}}, {17, []int32{63, 5, 31}}, {40, []int32{32}},
	} {
		a0 := make([]F, tileRows)
		for i := range a0 {
			a0[i] = F(10 * rng.NormFloat64())
		}
		idx := make([]int32, tc.cols)
		gam := make([]F, tc.cols)
		for i := range idx {
			idx[i] = int32(rng.IntN(slots))
			gam[i] = F(rng.NormFloat64())
		}
		dst := make([]F, tileRows)
		m := tile(dst, a0, base, idx, gam, tc.zero)
		var want F
		for r, v := range dst {
			exact, bound := float64(a0[r]), math.Abs(float64(a0[r]))
			for i, s := range idx {
				p := float64(gam[i]) * float64(base[int(s)*tileRows+r])
				exact += p
				bound += math.Abs(p)
			}
			zeroed := false
			for _, z := range tc.zero {
				zeroed = zeroed || int(z) == r
			}
			if zeroed {
				exact, bound = 0, 0
			}
			if math.Abs(float64(v)-exact) > gammaN(tc.cols+1, unit)*bound {
				t.Fatalf("%d columns: row %d is %g, want %g", tc.cols, r, v, exact)
			}
			want = max(want, v, -v)
		}
		if m != want {
			t.Errorf("%d columns: max %g, want %g", tc.cols, m, want)
		}
	}
}
