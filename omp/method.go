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
	o := m.Options
	if o.K == 0 {
		o.K = DefaultK
	}
	if o.MaxMemory == 0 {
		o.MaxMemory = DefaultMaxMemory
	}
	return json.Marshal(struct{ Options Options }{o})
}

// NeedsDonor reports that OMP cannot run without a donor table: its
// coefficients come from the donor's embedding space.
func (Method) NeedsDonor() bool { return true }

// Workspace is the memory Build needs beyond its tables, for targets new
// rows decomposed over anchors in a donor space of the given width: the
// solver's working memory (WorkingMemory) plus the gathered donor rows.
// It fails as Build would when the options cannot fit the problem, such
// as a batch too large for the memory budget.
func (m Method) Workspace(targets, anchors, donorCols int) (int64, error) {
	w, err := WorkingMemory(anchors, donorCols, targets, m.Options)
	if err != nil {
		return 0, err
	}
	return w + int64(anchors+targets)*int64(donorCols)*4, nil
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
