package forward

import "math"

// rope holds a model's rotary inverse frequencies. LongRoPE has two sets,
// and as in transformers the set a window uses depends on its length: the
// long one once the window outgrows the original pretraining context.
type rope struct {
	short     []float64 // RotaryDim/2 inverse frequencies; nil without RoPE
	long      []float64 // LongRoPE's set for long windows, else nil
	longAfter int       // windows of more ids than this use long
	scale     float64   // multiplies cos and sin (LongRoPE's attention factor)
}

// newRope computes the inverse frequencies θ^(-2i/d) over the rotary
// dimensions d, with the configured scaling applied (transformers' default,
// linear, llama3 and longrope rules).
func newRope(c *Config) rope {
	base := make([]float64, c.RotaryDim/2)
	for i := range base {
		base[i] = 1 / math.Pow(c.RopeTheta, float64(2*i)/float64(c.RotaryDim))
	}
	p := rope{short: base, scale: 1}
	s := c.RopeScaling
	if s == nil {
		return p
	}
	switch s.Type {
	case "linear":
		p.short = scaled(base, func(i int, f float64) float64 { return f / s.Factor })
	case "llama3":
		p.short = scaled(base, func(_ int, f float64) float64 { return llama3Freq(s, f) })
	case "longrope":
		p.short = scaled(base, func(i int, f float64) float64 { return f / s.ShortFactor[i] })
		p.long = scaled(base, func(i int, f float64) float64 { return f / s.LongFactor[i] })
		p.longAfter, p.scale = s.OriginalMaxPositions, s.AttentionFactor
	}
	return p
}

func scaled(inv []float64, f func(i int, f float64) float64) []float64 {
	out := make([]float64, len(inv))
	for i, v := range inv {
		out[i] = f(i, v)
	}
	return out
}

// llama3Freq keeps high frequencies, divides low ones by the factor and
// interpolates between the two in the band between.
func llama3Freq(s *RopeScaling, f float64) float64 {
	old := float64(s.OriginalMaxPositions)
	wavelen := 2 * math.Pi / f
	switch {
	case wavelen < old/s.HighFreqFactor:
		return f
	case wavelen > old/s.LowFreqFactor:
		return f / s.Factor
	}
	t := (old/wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor)
	return (1-t)*f/s.Factor + t*f
}

// freqs returns the inverse frequencies a window of T ids uses and whether
// they are LongRoPE's long set.
func (p *rope) freqs(T int) (inv []float64, long bool) {
	if p.long != nil && T > p.longAfter {
		return p.long, true
	}
	return p.short, false
}

// rotaryTables makes r.cos and r.sin cover a window of T ids, rebuilding
// them when they are too short or of the other LongRoPE set.
func (r *runner) rotaryTables(T int) {
	inv, long := r.m.rope.freqs(T)
	if inv == nil || (T <= r.ropeN && long == r.ropeLong) {
		return
	}
	n, half := max(T, r.n), len(inv)
	r.cos = make([]float32, n*half)
	r.sin = make([]float32, n*half)
	scale := r.m.rope.scale
	for p := range n {
		for i, f := range inv {
			s, c := math.Sincos(float64(p) * f)
			r.cos[p*half+i], r.sin[p*half+i] = float32(c*scale), float32(s*scale)
		}
	}
	r.ropeN, r.ropeLong = n, long
}

// rotate applies the rotary embedding of position t to each head in row,
// in transformers' rotate-half convention over the first RotaryDim
// dimensions of a head: dimension i pairs with i + RotaryDim/2, and the
// dimensions past RotaryDim pass through.
func (r *runner) rotate(row []float32, t int) {
	hd, half := r.m.cfg.HeadDim, r.m.cfg.RotaryDim/2
	cos, sin := r.cos[t*half:(t+1)*half], r.sin[t*half:(t+1)*half]
	for h := 0; h+hd <= len(row); h += hd {
		a, b := row[h:h+half], row[h+half:h+2*half]
		for i := range half {
			x1, x2 := a[i], b[i]
			a[i] = x1*cos[i] - x2*sin[i]
			b[i] = x2*cos[i] + x1*sin[i]
		}
	}
}
