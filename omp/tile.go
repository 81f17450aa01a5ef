package omp

// tileFunc computes the screened correlations of one block of tileRows
// anchors for one target: dst = a0 + Σ_i gam_i·base[slots_i·tileRows:][:tileRows]
// (the block's base correlations and its slices of the target's Gram
// columns, weighted by −(γ − γ_b)), then zeroes dst[z] for every z in zero
// (the target's support) and returns max_r |dst_r|.
//
// The screen calls one tileFunc for both the maxima of every block and the
// values of the few blocks it reads again, so the two agree to the bit.
type tileFunc[F float] func(dst, a0, base []F, slots []int32, gam []F, zero []int32) F

// tileGo is the portable tileFunc.
func tileGo[F float](dst, a0, base []F, slots []int32, gam []F, zero []int32) F {
	dst = dst[:tileRows]
	copy(dst, a0[:tileRows])
	for i, s := range slots {
		g := gam[i]
		col := base[int(s)*tileRows:][:tileRows]
		for r := range dst {
			dst[r] += g * col[r]
		}
	}
	for _, z := range zero {
		dst[z] = 0
	}
	var m F
	for _, v := range dst {
		m = max(m, v, -v)
	}
	return m
}
