package omp

import (
	"context"
	"encoding/json"
	"fmt"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/heuristics"
)

// Method is OMP as a heuristics.Method: each target's donor row is
// decomposed over the anchors' donor rows by Solve, and the target's row
// in the map is the same combination of the anchors' base rows. The map's
// residual measure is each target's relative residual in the donor's space.
type Method struct {
	Options Options
}

var (
	_ heuristics.DonorMethod = Method{}
	_ heuristics.Sizer       = Method{}
)

// Name implements heuristics.Method.
func (Method) Name() string { return "omp" }

// MarshalJSON writes the options with their defaults filled in, so that a
// run report says which K and memory budget were used, not zeros.
func (m Method) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ Options Options }{m.Options.withDefaults()})
}

// RequiresDonor implements heuristics.DonorMethod: the coefficients come
// from the donor's space.
func (Method) RequiresDonor() bool { return true }

// Workspace implements heuristics.Sizer: the solver's working memory
// (WorkingMemory), the gathered donor rows and the solution. It fails as
// Build would when the options cannot fit the problem, such as a batch too
// large for the memory budget.
func (m Method) Workspace(s heuristics.Shape) (int64, error) {
	if s.DonorCols == 0 {
		return 0, nil // Build refuses to run without a donor
	}
	w, err := WorkingMemory(s.Anchors, s.DonorCols, s.Targets, m.Options)
	if err != nil {
		return 0, err
	}
	k := int64(min(m.Options.withDefaults().K, max(s.Anchors, 1)))
	return w + int64(s.Anchors+s.Targets)*int64(s.DonorCols)*4 + int64(s.Targets)*k*12, nil
}

// Build implements heuristics.Method. The base rows of the anchors must be
// finite: the map combines them.
func (m Method) Build(ctx context.Context, p *heuristics.Problem) (*heuristics.Map, error) {
	if p.Donor.Rows == 0 {
		return nil, heuristics.ErrNoDonor
	}
	if len(p.Anchors) == 0 {
		return nil, fmt.Errorf("omp: no anchors: %w", ErrShape)
	}
	if err := checkShape("donor table", p.Donor); err != nil {
		return nil, err
	}
	donorRows := make([]int, len(p.Anchors))
	baseRows := make([]int, len(p.Anchors))
	for i, a := range p.Anchors {
		if a.New < 0 || a.New >= p.Donor.Rows || a.Old < 0 || a.Old >= p.Base.Rows {
			return nil, fmt.Errorf("omp: anchor %d is donor row %d, base row %d; the tables have %d and %d rows: %w",
				i, a.New, a.Old, p.Donor.Rows, p.Base.Rows, ErrShape)
		}
		donorRows[i], baseRows[i] = a.New, a.Old
	}
	targets := make([]int, len(p.Targets))
	for i, t := range p.Targets {
		if t.NewID < 0 || t.NewID >= p.Donor.Rows {
			return nil, fmt.Errorf("omp: target %d is donor row %d of %d: %w", i, t.NewID, p.Donor.Rows, ErrShape)
		}
		targets[i] = t.NewID
	}
	if err := checkFinite("base table", p.Base, baseRows); err != nil {
		return nil, err
	}
	o := m.Options
	if o.Progress == nil {
		o.Progress = p.Progress
	}
	sol, err := Solve(ctx, gather(p.Donor, donorRows), gather(p.Donor, targets), o)
	if err != nil {
		return nil, err
	}
	return mapOf(sol, p), nil
}

// mapOf turns a solution into a row map: target i's terms are its anchors'
// base rows with their coefficients, in the order the pursuit chose them.
func mapOf(sol *Solution, p *heuristics.Problem) *heuristics.Map {
	rm := &heuristics.Map{Rows: make([]heuristics.Row, sol.Len())}
	residual := make([]float64, sol.Len())
	terms := make([]heuristics.Term, 0, len(sol.support))
	how := map[Stop]string{}
	for i := range sol.Len() {
		stop := sol.Stop(i)
		if how[stop] == "" {
			how[stop] = fmt.Sprintf("omp (stopped by %s)", stop)
		}
		start := len(terms)
		for j, a := range sol.Support(i) {
			terms = append(terms, heuristics.Term{Old: p.Anchors[a].Old, Weight: sol.Coef(i)[j]})
		}
		rm.Rows[i] = heuristics.Row{ID: p.Targets[i].NewID, Terms: terms[start:len(terms):len(terms)], How: how[stop]}
		residual[i] = sol.RelativeResidual(i)
	}
	rm.Measures = []heuristics.Measure{{Name: heuristics.MeasureResidual, Values: residual}}
	return rm
}

// gather copies the listed rows of m into a compact matrix.
func gather(m blas32.General, rows []int) blas32.General {
	out := blas32.General{Rows: len(rows), Cols: m.Cols, Stride: m.Cols, Data: make([]float32, len(rows)*m.Cols)}
	for i, r := range rows {
		copy(out.Data[i*m.Cols:(i+1)*m.Cols], m.Data[r*m.Stride:r*m.Stride+m.Cols])
	}
	return out
}
