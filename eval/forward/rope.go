package forward

import "math"

// rope holds one set of rotary inverse frequencies. LongRoPE has two, and
// as in transformers the one a window uses depends on its length: the long
// one once the window outgrows the original pretraining context.
type rope struct {
	short     []float64 // RotaryDim/2 inverse frequencies; nil without RoPE
	long      []float64 // LongRoPE's set for long windows, else nil
	longAfter int       // windows of more ids than this use long
	scale     float64   // multiplies cos and sin (LongRoPE's attention factor)
}

// newRope computes the inverse frequencies theta^(-2i/d) over the d rotary
// dimensions, with the scaling s applied (transformers' default, linear,
// llama3 and longrope rules; nil: none).
func newRope(theta float64, s *RopeScaling, d int) rope {
	base := make([]float64, d/2)
	for i := range base {
		base[i] = 1 / math.Pow(theta, float64(2*i)/float64(d))
	}
	p := rope{short: base, scale: 1}
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

// newRopes returns the rotary embeddings of a llama-family model: one, or
// with a separate embedding for sliding-window layers (Gemma 3) the global
// one first and the local one second.
func newRopes(c *Config) []rope {
	ropes := []rope{newRope(c.RopeTheta, c.RopeScaling, c.RotaryDim)}
	if c.LocalRopeTheta > 0 {
		ropes = append(ropes, newRope(c.LocalRopeTheta, c.LocalRopeScaling, c.RotaryDim))
	}
	return ropes
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

// rotaryTable holds cos and sin of one rope for the positions of a window.
type rotaryTable struct {
	cos, sin []float32 // n×RotaryDim/2
	n        int       // positions the table holds
	long     bool      // the table is of LongRoPE's long set
}

// fill makes the table cover a window of T ids, rebuilding it when it is
// too short or of the other LongRoPE set; reserve is how many positions to
// build for when it does.
func (tb *rotaryTable) fill(p *rope, T, reserve int) {
	inv, long := p.freqs(T)
	if inv == nil || (T <= tb.n && long == tb.long) {
		return
	}
	n, half := max(T, reserve), len(inv)
	tb.cos = make([]float32, n*half)
	tb.sin = make([]float32, n*half)
	for pos := range n {
		for i, f := range inv {
			s, c := math.Sincos(float64(pos) * f)
			tb.cos[pos*half+i], tb.sin[pos*half+i] = float32(c*p.scale), float32(s*p.scale)
		}
	}
	tb.n, tb.long = n, long
}

// rotaryTables makes the runner's tables cover a window of T ids.
func (r *runner) rotaryTables(T int) {
	if len(r.rot) != len(r.m.ropes) {
		r.rot = make([]rotaryTable, len(r.m.ropes))
	}
	for i := range r.m.ropes {
		r.rot[i].fill(&r.m.ropes[i], T, r.n)
	}
}

// rotate applies the rotary embedding of position t from table tb to each
// head in row, in transformers' rotate-half convention over the first
// RotaryDim dimensions of a head: dimension i pairs with i + RotaryDim/2,
// and the dimensions past RotaryDim pass through.
func (r *runner) rotate(tb *rotaryTable, row []float32, t int) {
	hd, half := r.m.cfg.HeadDim, r.m.cfg.RotaryDim/2
	cos, sin := tb.cos[t*half:(t+1)*half], tb.sin[t*half:(t+1)*half]
	for h := 0; h+hd <= len(row); h += hd {
		a, b := row[h:h+half], row[h+half:h+2*half]
		for i := range half {
			x1, x2 := a[i], b[i]
			a[i] = x1*cos[i] - x2*sin[i]
			b[i] = x2*cos[i] + x1*sin[i]
		}
	}
}
