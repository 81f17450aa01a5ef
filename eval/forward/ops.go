package forward

import (
	"math"
)

// activations maps the hidden_act / activation_function spellings of
// transformers to their functions, applied in place.
var activations = map[string]func(x []float32){
	"silu":              silu,
	"swish":             silu,
	"gelu_new":          geluTanh,
	"gelu_pytorch_tanh": geluTanh,
	"gelu_fast":         geluTanh,
	"gelu":              geluErf,
	"relu":              relu,
}

func silu(x []float32) {
	for i, v := range x {
		x[i] = v / (1 + expf(-v))
	}
}

// geluTanh is the tanh approximation GPT-2 was trained with ("gelu_new").
func geluTanh(x []float32) {
	const c = 0.7978845608028654 // sqrt(2/π)
	for i, v := range x {
		u := float64(v)
		x[i] = float32(0.5 * u * (1 + math.Tanh(c*(u+0.044715*u*u*u))))
	}
}

func geluErf(x []float32) {
	for i, v := range x {
		u := float64(v)
		x[i] = float32(0.5 * u * (1 + math.Erf(u/math.Sqrt2)))
	}
}

func relu(x []float32) {
	for i, v := range x {
		x[i] = max(v, 0)
	}
}

// rmsNorm writes x / sqrt(mean(x²) + eps) · w to dst.
func rmsNorm(dst, x, w []float32, eps float64) {
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	r := float32(1 / math.Sqrt(ss/float64(len(x))+eps))
	for i, v := range x {
		dst[i] = v * r * w[i]
	}
}

// layerNorm writes (x - mean) / sqrt(var + eps) · w + b to dst.
func layerNorm(dst, x, w, b []float32, eps float64) {
	var sum float64
	for _, v := range x {
		sum += float64(v)
	}
	mean := sum / float64(len(x))
	var ss float64
	for _, v := range x {
		d := float64(v) - mean
		ss += d * d
	}
	r := 1 / math.Sqrt(ss/float64(len(x))+eps)
	for i, v := range x {
		dst[i] = float32((float64(v)-mean)*r)*w[i] + b[i]
	}
}

// softcap maps x to c·tanh(x/c) in place: Gemma 2's soft bound of
// attention scores and logits to (-c, c).
func softcap(x []float32, c float64) {
	for i, v := range x {
		x[i] = float32(c * math.Tanh(float64(v)/c))
	}
}

func addTo(dst, x []float32) {
	for i, v := range x {
		dst[i] += v
	}
}

// expf is e^x in float32 to about one ulp, several times faster than
// math.Exp; the output head calls it once per vocabulary entry and position.
// It flushes results below the smallest normal float32 to zero.
func expf(x float32) float32 {
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693145751953125 // ln 2 split so n·ln2hi is exact
		ln2lo = 1.42860682030941723212e-6
		round = 12582912 // 1.5·2²³: adding it rounds a float32 to an integer
	)
	switch {
	case x < -87.3:
		return 0
	case x > 88.7:
		return float32(math.Inf(1))
	case x != x:
		return x
	}
	n := x*log2e + round
	n -= round
	r := x - n*ln2hi - n*ln2lo
	// Taylor series to degree 7 on |r| ≤ ln2/2: truncation error < 1e-8.
	p := 1 + r*(1+r*(1.0/2+r*(1.0/6+r*(1.0/24+r*(1.0/120+r*(1.0/720+r*(1.0/5040)))))))
	e := int32(n)
	if e > 127 { // e^x just below the float32 maximum
		p *= 2
		e--
	}
	return p * math.Float32frombits(uint32(e+127)<<23)
}

// maxOf returns the largest element of x, which must not be empty.
func maxOf(x []float32) float32 {
	m, n := x[0], 0
	if haveAVX2 && len(x) >= 8 {
		n = len(x) &^ 7
		m = maxAVX2(x[:n])
	}
	for _, v := range x[n:] {
		m = max(m, v)
	}
	return m
}

// expSum sets x[i] = exp(x[i] - m) and returns their sum, accumulated in
// float64; m must be at least every x[i]. The output head spends most of its
// non-BLAS time here, hence the AVX2 kernel.
func expSum(x []float32, m float32) float64 {
	var s float64
	n := 0
	if haveAVX2 && len(x) >= 8 {
		n = len(x) &^ 7
		s = expSumAVX2(x[:n], m)
	}
	for i := n; i < len(x); i++ {
		e := expf(x[i] - m)
		x[i] = e
		s += float64(e)
	}
	return s
}

// logSumExp returns log Σ exp(x_i), computed around the maximum. It
// overwrites x with exp(x_i - max).
func logSumExp(x []float32) float64 {
	m := maxOf(x)
	return float64(m) + math.Log(expSum(x, m))
}

// softmaxInPlace turns x into exp(x - max) / Σ exp(x - max).
func softmaxInPlace(x []float32) {
	inv := float32(1 / expSum(x, maxOf(x)))
	for i := range x {
		x[i] *= inv
	}
}

// LogSumExp is log Σ exp(x_i), computed around the maximum: the
// log-normalizer of logits x. It overwrites x with exp(x_i − max).
func LogSumExp(x []float32) float64 { return logSumExp(x) }
