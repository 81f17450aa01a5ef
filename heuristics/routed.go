package heuristics

import (
	"context"
	"fmt"
	"math"
	"slices"
)

// Routed builds each target with Primary where Primary can make a sound
// row, and with Fallback elsewhere: where the target or an anchor has no
// donor row (an all-zero row, as auxiliary vectors give tokens a text
// never showed), and where Primary's own measures call its estimate poor
// (a relative residual above MaxResidual, a similarity below
// MinSimilarity). Rows keep the way each method counts them; the map's
// measures are Primary's, NaN on fallback rows, plus "routed", 1 where
// the fallback was chosen for a poor measure.
type Routed struct {
	Primary, Fallback Method
	// MaxResidual and MinSimilarity bound Primary's measures; zero turns
	// a bound off.
	MaxResidual, MinSimilarity float64
}

// MeasureRouted marks rows Routed gave to the fallback for a poor measure.
const MeasureRouted = "routed"

// Name implements Method: "primary|fallback".
func (r Routed) Name() string { return r.Primary.Name() + "|" + r.Fallback.Name() }

// RequiresDonor implements DonorMethod: Routed needs a donor when Primary
// does.
func (r Routed) RequiresDonor() bool { return RequiresDonor(r.Primary) }

var _ DonorMethod = Routed{}

// Build implements Method.
func (r Routed) Build(ctx context.Context, p *Problem) (*Map, error) {
	if err := p.check(false); err != nil {
		return nil, err
	}
	if RequiresDonor(r.Primary) && !p.hasDonor() {
		return nil, ErrNoDonor
	}
	eligible, rest := r.split(p)
	sub := *p
	sub.Targets, sub.Anchors = targetsAt(p.Targets, eligible), r.anchorsWithRows(p)
	var primary *Map
	if len(eligible) > 0 {
		var err error
		if primary, err = r.Primary.Build(ctx, &sub); err != nil {
			return nil, fmt.Errorf("%s: %w", r.Primary.Name(), err)
		}
		rest = append(rest, r.poor(primary, eligible)...)
		slices.Sort(rest)
	}
	fb := *p
	fb.Targets = targetsAt(p.Targets, rest)
	fallback, err := r.Fallback.Build(ctx, &fb)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.Fallback.Name(), err)
	}
	return r.merge(p, primary, eligible, fallback, rest)
}

// split divides the targets by whether they have a donor row.
func (r Routed) split(p *Problem) (eligible, rest []int) {
	for i, t := range p.Targets {
		if !p.hasDonor() || !allZero(row(p.Donor, t.NewID)) {
			eligible = append(eligible, i)
		} else {
			rest = append(rest, i)
		}
	}
	return eligible, rest
}

// anchorsWithRows leaves out anchors whose donor row is all zero.
func (r Routed) anchorsWithRows(p *Problem) []Anchor {
	if !p.hasDonor() {
		return p.Anchors
	}
	var out []Anchor
	for _, a := range p.Anchors {
		if !allZero(row(p.Donor, a.New)) {
			out = append(out, a)
		}
	}
	return out
}

// poor returns the targets (indices into the problem's) whose primary row
// measures worse than the bounds.
func (r Routed) poor(m *Map, eligible []int) []int {
	residual, similarity := m.Measure(MeasureResidual), m.Measure(MeasureSimilarity)
	var out []int
	for k, i := range eligible {
		bad := (r.MaxResidual > 0 && residual != nil && residual[k] > r.MaxResidual) ||
			(r.MinSimilarity > 0 && similarity != nil && !(similarity[k] >= r.MinSimilarity))
		if bad {
			out = append(out, i)
		}
	}
	return out
}

// merge joins the two maps in target order: target i's row is primary's
// unless i is in rest.
func (r Routed) merge(p *Problem, primary *Map, eligible []int, fallback *Map, rest []int) (*Map, error) {
	out := newMap(p.Targets)
	from := make([]int, len(p.Targets)) // row of primary, +1; of fallback, negated
	for k, i := range eligible {
		from[i] = k + 1
	}
	isPoor := make([]bool, len(p.Targets))
	for k, i := range rest {
		isPoor[i] = from[i] > 0
		from[i] = -(k + 1)
	}
	if primary != nil {
		for _, ms := range primary.Measures {
			v := out.AddMeasure(ms.Name)
			for i, f := range from {
				if f > 0 {
					v[i] = ms.Values[f-1]
				}
			}
		}
		out.Noise = primary.Noise
	}
	if fallback.Noise.Scale != 0 {
		if out.Noise.Scale != 0 && out.Noise != fallback.Noise {
			return nil, fmt.Errorf("heuristics: %s and %s draw different noise", r.Primary.Name(), r.Fallback.Name())
		}
		out.Noise = fallback.Noise
	}
	routed := out.AddMeasure(MeasureRouted)
	for i, f := range from {
		routed[i] = 0
		if f > 0 {
			out.Rows[i] = primary.Rows[f-1]
			continue
		}
		out.Rows[i] = fallback.Rows[-f-1]
		if isPoor[i] {
			routed[i] = 1
			out.Rows[i].How += " (" + r.Primary.Name() + " estimate poor)"
		}
	}
	return out, nil
}

func targetsAt(targets []Target, idx []int) []Target {
	out := make([]Target, len(idx))
	for k, i := range idx {
		out[k] = targets[i]
	}
	return out
}

func allZero(v []float32) bool {
	for _, x := range v {
		if x != 0 && !math.IsNaN(float64(x)) {
			return false
		}
	}
	return true
}
