package forward

import (
	"github.com/transplant-dev/transplant/internal/fastblas"
	"gonum.org/v1/gonum/blas"
)

// attention runs causal self-attention of layer ly over the q, k and v in
// r.qkv (rows of [q heads | k heads | v heads]) and writes the heads'
// outputs side by side to r.att.
func (r *runner) attention(ly *layer, T int) {
	c := &r.m.cfg
	nh, nkv, hd := c.Heads, c.KVHeads, c.HeadDim
	ld := ly.qkv.out
	if ly.qNorm != nil {
		r.headNorms(ly, 0, T)
	}
	if len(r.rot) > 0 {
		tb := &r.rot[ly.rope]
		for t := range T {
			row := r.qkv[t*ld : t*ld+(nh+nkv)*hd] // q and k heads
			r.rotate(tb, row, t)
		}
	}
	impl := fastblas.Float32()
	ldAtt := nh * hd
	for h := range nh {
		g := h / (nh / nkv) // the key/value head this query head shares
		qOff, kOff, vOff := h*hd, (nh+g)*hd, (nh+nkv+g)*hd
		for r0 := 0; r0 < T; r0 += r.m.blocks.query {
			r1 := min(T, r0+r.m.blocks.query)
			k0 := 0 // first key any query of the block may see
			if w := ly.window; w > 0 {
				k0 = max(0, r0-w+1)
			}
			nk := r1 - k0
			s := r.scores[:(r1-r0)*nk]
			impl.Sgemm(blas.NoTrans, blas.Trans, r1-r0, nk, hd, ly.scale,
				r.qkv[r0*ld+qOff:], ld, r.qkv[k0*ld+kOff:], ld, 0, s, nk)
			for i := r0; i < r1; i++ {
				row := s[(i-r0)*nk : (i-r0+1)*nk]
				lo := k0
				if w := ly.window; w > 0 {
					lo = max(0, i-w+1)
				}
				clear(row[:lo-k0])
				if c.AttnSoftcap > 0 {
					softcap(row[lo-k0:i-k0+1], c.AttnSoftcap)
				}
				softmaxInPlace(row[lo-k0 : i-k0+1])
				clear(row[i-k0+1:])
			}
			impl.Sgemm(blas.NoTrans, blas.NoTrans, r1-r0, hd, nk, 1,
				s, nk, r.qkv[k0*ld+vOff:], ld, 0, r.att[r0*ldAtt+h*hd:], ldAtt)
		}
	}
}

// headNorms applies the per-head RMSNorm of Qwen3 and Gemma 3 to the q and
// k heads of rows [t0, t1).
func (r *runner) headNorms(ly *layer, t0, t1 int) {
	c := &r.m.cfg
	nh, nkv, hd := c.Heads, c.KVHeads, c.HeadDim
	ld := ly.qkv.out
	for t := t0; t < t1; t++ {
		row := r.qkv[t*ld:]
		for h := range nh {
			v := row[h*hd : (h+1)*hd]
			rmsNorm(v, v, ly.qNorm, c.NormEps)
		}
		for h := nh; h < nh+nkv; h++ {
			v := row[h*hd : (h+1)*hd]
			rmsNorm(v, v, ly.kNorm, c.NormEps)
		}
	}
}
