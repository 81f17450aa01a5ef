package forward

import (
	"fmt"

	"github.com/transplant-dev/transplant/internal/fastblas"
)

// A Probe is an input row read at a position of a window in place of the
// window's own ids from there on: the probe sees ids[:At] and itself, as
// a token the model has no row for would if the row were its embedding.
// Its rotary tables are the window's: LongRoPE's choice of frequencies
// follows the length of ids, not At.
type Probe struct {
	At  int
	Row []float32 // an embedding row, read as the table's rows are
}

// ProbeResidual runs the first res.After layers over ids and, beside
// them, over each probe, and copies the residual stream after them: the
// ids' into res.Dst (unless nil), each probe's into row k of dst
// (len(probes)×Hidden). The ids' residuals are those NLLStatesResidual
// gives; a probe changes none of them.
func (m *Model) ProbeResidual(dst []float32, res Residual, ids []int, probes []Probe) error {
	if err := m.check(ids); err != nil {
		return err
	}
	H := m.cfg.Hidden
	if res.After < 0 || res.After > len(m.layers) || len(dst) != len(probes)*H || res.Dst != nil && len(res.Dst) != len(ids)*H {
		return fmt.Errorf("forward: %w: residual after %d of %d layers for %d ids and %d probes into %d and %d values",
			ErrInput, res.After, len(m.layers), len(ids), len(probes), len(res.Dst), len(dst))
	}
	for k, p := range probes {
		if p.At < 0 || p.At >= len(ids) || len(p.Row) != H {
			return fmt.Errorf("forward: %w: probe %d at position %d of a window of %d ids with %d values", ErrInput, k, p.At, len(ids), len(p.Row))
		}
	}
	r := m.runners.Get().(*runner)
	defer m.runners.Put(r)
	T, n := len(ids), len(ids)+len(probes)
	r.reserve(n)
	r.rotaryTables(T)
	for t, id := range ids {
		r.embedRow(r.x[t*H:(t+1)*H], m.embed[id*H:(id+1)*H], t)
	}
	for k, p := range probes {
		r.embedRow(r.x[(T+k)*H:(T+k+1)*H], p.Row, p.At)
	}
	for li := range res.After {
		r.layer(&m.layers[li], T, probes)
	}
	if res.Dst != nil {
		copy(res.Dst, r.x[:T*H])
	}
	copy(dst, r.x[T*H:n*H])
	return nil
}

// probeAttention is attention for the probes, rows T… of r.qkv: probe k
// attends to the keys of positions [0, At) and to its own.
func (r *runner) probeAttention(ly *layer, T int, probes []Probe) {
	c := &r.m.cfg
	nh, nkv, hd := c.Heads, c.KVHeads, c.HeadDim
	ld := ly.qkv.out
	impl := fastblas.Float32()
	if ly.qNorm != nil {
		r.headNorms(ly, T, T+len(probes))
	}
	for k, p := range probes {
		row := r.qkv[(T+k)*ld:]
		if len(r.rot) > 0 {
			r.rotate(&r.rot[ly.rope], row[:(nh+nkv)*hd], p.At)
		}
		lo := 0
		if w := ly.window; w > 0 {
			lo = max(0, p.At-w+1)
		}
		s := r.scores[:p.At-lo+1]
		out := r.att[(T+k)*nh*hd:]
		for h := range nh {
			g := h / (nh / nkv)
			q := row[h*hd : (h+1)*hd]
			kOff, vOff := (nh+g)*hd, (nh+nkv+g)*hd
			for j := lo; j < p.At; j++ {
				s[j-lo] = ly.scale * impl.Sdot(hd, q, 1, r.qkv[j*ld+kOff:], 1)
			}
			s[p.At-lo] = ly.scale * impl.Sdot(hd, q, 1, row[kOff:], 1)
			if c.AttnSoftcap > 0 {
				softcap(s, c.AttnSoftcap)
			}
			softmaxInPlace(s)
			o := out[h*hd : (h+1)*hd]
			clear(o)
			for j := lo; j < p.At; j++ {
				impl.Saxpy(hd, s[j-lo], r.qkv[j*ld+vOff:], 1, o, 1)
			}
			impl.Saxpy(hd, s[p.At-lo], row[vOff:], 1, o, 1)
		}
	}
}
