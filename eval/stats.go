package eval

import (
	"math"
	"slices"
)

// Stats summarizes a distribution of per-token values.
type Stats struct {
	Mean   float64 `json:"mean"`
	Median float64 `json:"median"`
	// P10 and P90 are the 10th and 90th percentiles: the bad tail of a
	// cosine similarity is P10, that of an error P90.
	P10 float64 `json:"p10"`
	P90 float64 `json:"p90"`
}

// Summarize returns the Stats of x; percentiles interpolate linearly
// between order statistics, as numpy.percentile does by default.
func Summarize(x []float64) Stats {
	if len(x) == 0 {
		return Stats{}
	}
	s := slices.Clone(x)
	slices.Sort(s)
	var sum float64
	for _, v := range s {
		sum += v
	}
	return Stats{
		Mean:   sum / float64(len(s)),
		Median: percentile(s, 0.5),
		P10:    percentile(s, 0.1),
		P90:    percentile(s, 0.9),
	}
}

// percentile of sorted values, q in [0, 1].
func percentile(sorted []float64, q float64) float64 {
	pos := q * float64(len(sorted)-1)
	i := int(math.Floor(pos))
	if i+1 >= len(sorted) {
		return sorted[len(sorted)-1]
	}
	f := pos - float64(i)
	return sorted[i] + f*(sorted[i+1]-sorted[i])
}

// compareRows returns the cosine similarity of got and want and the
// relative L2 error ‖got − want‖/‖want‖, accumulated in float64. A zero
// vector has cosine 0 with anything; a zero want has relative error 0 if
// got is zero too and +Inf otherwise.
func compareRows(got, want []float32) (cosine, relErr float64) {
	var dot, gg, ww, dd float64
	for i, w := range want {
		g := float64(got[i])
		dot += g * float64(w)
		gg += g * g
		ww += float64(w) * float64(w)
		d := g - float64(w)
		dd += d * d
	}
	if gg > 0 && ww > 0 {
		cosine = dot / math.Sqrt(gg*ww)
	}
	switch {
	case ww > 0:
		relErr = math.Sqrt(dd / ww)
	case dd > 0:
		relErr = math.Inf(1)
	}
	return cosine, relErr
}
