package eval

import (
	"context"
	"errors"
	"fmt"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/heuristics"
)

// A Reconstruction is a set of reconstruction problems: shared tokens
// handed to methods as if they were new, and their true rows. (Package
// transplant's Session.HoldOut makes one from a base model and tokenizers.)
type Reconstruction struct {
	Seed uint64
	// Eligible counts the shared tokens that could be held out; HeldOut
	// lists the new ids of those that were, ascending.
	Eligible int
	HeldOut  []int
	// Anchors counts the shared tokens left for methods to draw on.
	Anchors int
	Tables  []ReconstructionTable
}

// A ReconstructionTable is one table whose rows are rebuilt.
type ReconstructionTable struct {
	Role heuristics.Role
	// Tensor is the base tensor the table was read from, for reports.
	Tensor string
	// Problem hands the held-out tokens to methods as targets; its Base
	// still holds their true rows.
	Problem *heuristics.Problem
	// Truth is the old id of each target: its true row in Problem.Base.
	Truth []int
}

// ReconstructOptions tune Reconstruct.
type ReconstructOptions struct {
	// Progress, when set, hears about each method's work: stage names the
	// table and the method ("input embedding: omp").
	Progress func(stage string, done, total int)
}

// ReconstructionReport is the outcome of Reconstruct.
type ReconstructionReport struct {
	Seed uint64 `json:"seed"`
	// Eligible counts the shared tokens that could be held out; HeldOut
	// lists the new ids of those that were, ascending.
	Eligible int   `json:"eligible"`
	HeldOut  []int `json:"held_out"`
	// Anchors counts the shared tokens left for methods to draw on.
	Anchors int                   `json:"anchors"`
	Tables  []TableReconstruction `json:"tables"`
}

// TableReconstruction is the reconstruction quality of every method on one
// table.
type TableReconstruction struct {
	Table   heuristics.Role        `json:"table"`
	Tensor  string                 `json:"tensor"`
	Methods []MethodReconstruction `json:"methods"`
}

// MethodReconstruction is how close one method's rows come to the true
// rows of the held-out tokens.
type MethodReconstruction struct {
	Method string `json:"method"`
	// Baseline marks the mean vector, the reference every method should
	// beat.
	Baseline   bool              `json:"baseline,omitempty"`
	Cosine     Stats             `json:"cosine"`
	RelativeL2 Stats             `json:"relative_l2"`
	Counts     heuristics.Counts `json:"counts"`
	// Cosines and RelativeL2s are the per-token values, in HeldOut order.
	Cosines     []float64 `json:"-"`
	RelativeL2s []float64 `json:"-"`
}

// Reconstruct measures how well each method rebuilds rows it could have
// known: it runs every method on every table's problem and compares the
// rows built with the true rows, by cosine similarity and relative L2
// error. A mean-vector baseline is added unless methods include Mean. The
// result depends only on the problems and the methods.
func Reconstruct(ctx context.Context, r *Reconstruction, methods []heuristics.Method, opts ReconstructOptions) (*ReconstructionReport, error) {
	if err := r.check(methods); err != nil {
		return nil, err
	}
	rep := &ReconstructionReport{Seed: r.Seed, Eligible: r.Eligible, HeldOut: r.HeldOut, Anchors: r.Anchors}
	methods = withBaseline(methods)
	for _, t := range r.Tables {
		tr, err := reconstructTable(ctx, t, methods, opts)
		if err != nil {
			return nil, err
		}
		rep.Tables = append(rep.Tables, tr)
	}
	return rep, nil
}

// reconstructTable runs every method on one table.
func reconstructTable(ctx context.Context, t ReconstructionTable, methods []heuristics.Method, opts ReconstructOptions) (TableReconstruction, error) {
	tr := TableReconstruction{Table: t.Role, Tensor: t.Tensor}
	for _, m := range methods {
		p := *t.Problem
		if opts.Progress != nil {
			stage := t.Role.String() + ": " + m.Name()
			p.Progress = func(done, total int) { opts.Progress(stage, done, total) }
		}
		mr, err := rebuild(ctx, m, &p, t.Truth)
		if err != nil {
			return tr, fmt.Errorf("eval: reconstruction: %s: %s: %w", t.Role, m.Name(), err)
		}
		_, mr.Baseline = m.(heuristics.Mean)
		tr.Methods = append(tr.Methods, mr)
	}
	return tr, nil
}

func (r *Reconstruction) check(methods []heuristics.Method) error {
	if len(r.Tables) == 0 || len(r.HeldOut) == 0 {
		return errors.New("eval: reconstruction needs a table and held-out tokens")
	}
	seen := map[string]bool{}
	for _, m := range methods {
		if seen[m.Name()] {
			return fmt.Errorf("eval: reconstruction: method %s given twice", m.Name())
		}
		seen[m.Name()] = true
		for _, t := range r.Tables {
			if heuristics.RequiresDonor(m) && t.Problem.Donor.Rows == 0 {
				return fmt.Errorf("eval: reconstruction: %s: method %s: %w", t.Role, m.Name(), heuristics.ErrNoDonor)
			}
		}
	}
	for _, t := range r.Tables {
		if len(t.Truth) != len(t.Problem.Targets) {
			return fmt.Errorf("eval: reconstruction: %s: %d true rows for %d targets", t.Role, len(t.Truth), len(t.Problem.Targets))
		}
	}
	return nil
}

// withBaseline puts the mean-vector baseline first unless Mean is there.
func withBaseline(methods []heuristics.Method) []heuristics.Method {
	if containsMean(methods) {
		return methods
	}
	return append([]heuristics.Method{heuristics.Mean{}}, methods...)
}

func containsMean(methods []heuristics.Method) bool {
	for _, m := range methods {
		if _, ok := m.(heuristics.Mean); ok {
			return true
		}
	}
	return false
}

// rebuild runs one method and compares its rows with the true ones.
func rebuild(ctx context.Context, m heuristics.Method, p *heuristics.Problem, truth []int) (MethodReconstruction, error) {
	rm, err := m.Build(ctx, p)
	if err != nil {
		return MethodReconstruction{}, err
	}
	base, cols := p.Base, p.Base.Cols
	dst := blas32.General{Rows: len(p.Targets), Cols: cols, Stride: cols, Data: make([]float32, len(p.Targets)*cols)}
	if err := rm.Apply(ctx, dst, base); err != nil {
		return MethodReconstruction{}, err
	}
	mr := MethodReconstruction{Method: m.Name(), Counts: rm.Counts()}
	mr.Cosines = make([]float64, len(truth))
	mr.RelativeL2s = make([]float64, len(truth))
	for i, old := range truth {
		got := dst.Data[i*cols : (i+1)*cols]
		want := base.Data[old*base.Stride : old*base.Stride+cols]
		mr.Cosines[i], mr.RelativeL2s[i] = compareRows(got, want)
	}
	mr.Cosine, mr.RelativeL2 = Summarize(mr.Cosines), Summarize(mr.RelativeL2s)
	return mr, ctx.Err()
}
