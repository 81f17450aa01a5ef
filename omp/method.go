package omp

import (
	"context"
	"encoding/json"
	"fmt"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/heuristics"
)

// Method is OMP as a heuristics.Method, so that the run command can use it
// beside the other initializers. It needs the problem's donor table.
type Method struct {
	Options Options
	// Report, if set, receives the solution of each table built, for run
	// reports and for explaining a token's row. Anchor j of the solution is
	// p.Anchors[j]; target i is p.Targets[i].
	Report func(p *heuristics.Problem, s *Solution) `json:"-"`
}

// Name implements heuristics.Method.
func (Method) Name() string { return "omp" }

// MarshalJSON writes the options with their defaults filled in, so that a
// run report says which K and memory budget were used, not zeros.
func (m Method) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ Options Options }{m.Options.withDefaults()})
}

// NeedsDonor reports that OMP cannot run without a donor table: its
// coefficients come from the donor's embedding space.
func (Method) NeedsDonor() bool { return true }

// Workspace implements heuristics.Sizer: the solver's working memory
// (WorkingMemory) plus the gathered donor rows. It fails as Build would
// when the options cannot fit the problem, such as a batch too large for
// the memory budget.
func (m Method) Workspace(s heuristics.Shape) (int64, error) {
	if s.DonorCols == 0 {
		return 0, nil // Build refuses to run without a donor
	}
	w, err := WorkingMemory(s.Anchors, s.DonorCols, s.Targets, m.Options)
	if err != nil {
		return 0, err
	}
	return w + int64(s.Anchors+s.Targets)*int64(s.DonorCols)*4, nil
}

// Build implements heuristics.Method.
func (m Method) Build(ctx context.Context, p *heuristics.Problem, dst blas32.General) (heuristics.Counts, error) {
	if p.Donor.Rows == 0 {
		return nil, heuristics.ErrNoDonor
	}
	anchors := make([]Anchor, len(p.Anchors))
	for i, a := range p.Anchors {
		anchors[i] = Anchor{Donor: a.New, Base: a.Old}
	}
	targets := make([]int, len(p.Targets))
	for i, t := range p.Targets {
		targets[i] = t.NewID
	}
	o := m.Options
	if o.Progress == nil {
		o.Progress = p.Progress
	}
	sol, err := Transplant(ctx, dst, p.Donor, p.Base, anchors, targets, o)
	if err != nil {
		return nil, err
	}
	if m.Report != nil {
		m.Report(p, sol)
	}
	counts := heuristics.Counts{}
	for i := range sol.Len() {
		counts[fmt.Sprintf("omp (stopped by %s)", sol.Stop(i))]++
	}
	return counts, nil
}
