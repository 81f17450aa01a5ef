package heuristics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Blend makes each row the weighted sum of the rows two methods make,
// (1−Weight)·First + Weight·Second, term by term, so that its map is as
// exact as theirs: a token's last piece and its neighbours, say, each
// right about something the other misses. Neither map may have noise.
type Blend struct {
	First, Second Method
	Weight        float64
}

// Name implements Method.
func (Blend) Name() string { return "blend" }

var (
	_ DonorMethod   = Blend{}
	_ BaseDependent = Blend{}
	_ Sizer         = Blend{}
)

// RequiresDonor implements DonorMethod: a blend needs a donor when either
// method does.
func (b Blend) RequiresDonor() bool { return RequiresDonor(b.First) || RequiresDonor(b.Second) }

// DependsOnBase implements BaseDependent.
func (b Blend) DependsOnBase(hasDonor bool) bool {
	return DependsOnBase(b.First, hasDonor) || DependsOnBase(b.Second, hasDonor)
}

// Workspace implements Sizer: the larger of the two, which run in turn.
func (b Blend) Workspace(s Shape) (int64, error) {
	var most int64
	for _, m := range []Method{b.First, b.Second} {
		if z, ok := m.(Sizer); ok {
			n, err := z.Workspace(s)
			if err != nil {
				return 0, err
			}
			most = max(most, n)
		}
	}
	return most, nil
}

// ErrBlendNoise reports a blend of a method whose map draws noise.
var ErrBlendNoise = errors.New("a blend cannot mix maps with noise")

// Build implements Method. Rows are counted as "blend"; the measures are
// those of both maps, the first's where both have one.
func (b Blend) Build(ctx context.Context, p *Problem) (*Map, error) {
	if b.Weight < 0 || b.Weight > 1 {
		return nil, fmt.Errorf("heuristics: blend weight %g outside [0, 1]", b.Weight)
	}
	var maps [2]*Map
	for i, m := range []Method{b.First, b.Second} {
		rm, err := m.Build(ctx, p)
		if err != nil {
			return nil, fmt.Errorf("blend: %s: %w", m.Name(), err)
		}
		if len(rm.Rows) != len(p.Targets) {
			return nil, fmt.Errorf("blend: %s: %w: %d rows for %d targets", m.Name(), ErrMap, len(rm.Rows), len(p.Targets))
		}
		maps[i] = rm
	}
	out := newMap(p.Targets)
	for i := range out.Rows {
		a, c := maps[0].Rows[i], maps[1].Rows[i]
		if a.Noise || c.Noise {
			return nil, ErrBlendNoise
		}
		r := &out.Rows[i]
		r.Terms = append(scaled(a.Terms, 1-b.Weight), scaled(c.Terms, b.Weight)...)
		r.Mean = (1-b.Weight)*a.Mean + b.Weight*c.Mean
		r.How = "blend"
	}
	seen := map[string]bool{}
	for _, ms := range append(maps[0].Measures, maps[1].Measures...) {
		if !seen[ms.Name] {
			seen[ms.Name] = true
			out.Measures = append(out.Measures, ms)
		}
	}
	return out, nil
}

// MarshalJSON records both methods by name with their parameters, as a
// report or a recipe key needs them.
func (b Blend) MarshalJSON() ([]byte, error) {
	type named struct {
		Method string `json:"method"`
		Params Method `json:"params"`
	}
	return json.Marshal(struct {
		First  named   `json:"first"`
		Second named   `json:"second"`
		Weight float64 `json:"weight"`
	}{named{b.First.Name(), b.First}, named{b.Second.Name(), b.Second}, b.Weight})
}
