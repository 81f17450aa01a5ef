package eval

import (
	"context"
	"errors"
	"fmt"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/tokenizer"
)

// DefaultHoldOut is the number of tokens Reconstruct holds out unless told
// otherwise: enough for percentiles to be stable to about ±0.01 in cosine,
// few enough that methods run in seconds.
const DefaultHoldOut = 1000

// A Reconstruction is what reconstruction evaluation needs: the base model's
// tables with its tokenizer (Old), the new tokenizer and the alignment of
// the two, and optionally a donor's tables indexed by new ids. With no new
// tokenizer of its own, New can be Old aligned with itself: every token is
// then shared, and methods without a donor can still be compared.
type Reconstruction struct {
	Old, New  *tokenizer.Tokenizer
	Alignment *align.Alignment
	Tables    []ReconstructionTable
}

// A ReconstructionTable is one table whose rows are rebuilt: the input
// embedding or the output head.
type ReconstructionTable struct {
	// Name says which table it is ("input embedding", "output head").
	Name string
	// Tensor is the base tensor it was read from, for reports.
	Tensor string
	// Output marks the output head; some methods weigh pieces differently.
	Output bool
	// Base holds the base model's rows, one per old id, padding left out.
	Base blas32.General
	// Donor holds a donor model's rows, one per new id; Rows == 0 without
	// a donor.
	Donor blas32.General
}

// ReconstructOptions tune Reconstruct.
type ReconstructOptions struct {
	// HoldOut is the number of shared tokens to hold out; 0 means
	// HoldOutFraction of them when that is set, else DefaultHoldOut. It is
	// capped at the number of eligible tokens.
	HoldOut int
	// HoldOutFraction is the share of eligible tokens to hold out when
	// HoldOut is 0.
	HoldOutFraction float64
	// Seed chooses the sample and seeds random methods.
	Seed uint64
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
	Table   string                 `json:"table"`
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
// known. It holds out a seeded random sample of ordinary shared tokens, hands
// them to every method as if they were new — pieces cut by the old tokenizer
// as if the token were not in its vocabulary, anchors that leave out every
// held-out token — and compares the rows built with the base rows, by cosine
// similarity and relative L2 error, separately for each table. A mean-vector
// baseline is added unless methods include Mean. The result depends only on
// the inputs and the seed.
//
// Each held-out token is missing alone: its pieces may be other held-out
// tokens, whose rows stay in the base table, as the mean over it does.
func Reconstruct(ctx context.Context, r *Reconstruction, methods []heuristics.Method, opts ReconstructOptions) (*ReconstructionReport, error) {
	if err := r.check(methods); err != nil {
		return nil, err
	}
	eligible := r.eligible()
	held := sample(eligible, opts.sampleSize(len(eligible)), opts.Seed)
	if len(held) == 0 {
		return nil, errors.New("eval: reconstruction: no ordinary shared token to hold out")
	}
	targets, truth, anchors := r.holdOut(held)
	rep := &ReconstructionReport{Seed: opts.Seed, Eligible: len(eligible), Anchors: len(anchors)}
	for _, h := range held {
		rep.HeldOut = append(rep.HeldOut, h.New)
	}
	methods = withBaseline(methods)
	for _, t := range r.Tables {
		tr, err := reconstructTable(ctx, t, methods, targets, truth, anchors, opts)
		if err != nil {
			return nil, err
		}
		rep.Tables = append(rep.Tables, tr)
	}
	return rep, nil
}

// reconstructTable runs every method on one table.
func reconstructTable(ctx context.Context, t ReconstructionTable, methods []heuristics.Method, targets []heuristics.Target, truth []int, anchors []heuristics.Anchor, opts ReconstructOptions) (TableReconstruction, error) {
	tr := TableReconstruction{Table: t.Name, Tensor: t.Tensor}
	for _, m := range methods {
		p := &heuristics.Problem{Base: t.Base, Output: t.Output, Targets: targets, Anchors: anchors, Donor: t.Donor, Seed: opts.Seed}
		if opts.Progress != nil {
			stage := t.Name + ": " + m.Name()
			p.Progress = func(done, total int) { opts.Progress(stage, done, total) }
		}
		mr, err := rebuild(ctx, m, p, t.Base, truth)
		if err != nil {
			return tr, fmt.Errorf("eval: reconstruction: %s: %s: %w", t.Name, m.Name(), err)
		}
		_, mr.Baseline = m.(heuristics.Mean)
		tr.Methods = append(tr.Methods, mr)
	}
	return tr, nil
}

func (r *Reconstruction) check(methods []heuristics.Method) error {
	if r.Old == nil || r.New == nil || r.Alignment == nil || len(r.Tables) == 0 {
		return errors.New("eval: reconstruction needs both tokenizers, their alignment and a table")
	}
	seen := map[string]bool{}
	for _, m := range methods {
		if seen[m.Name()] {
			return fmt.Errorf("eval: reconstruction: method %s given twice", m.Name())
		}
		seen[m.Name()] = true
		d, ok := m.(interface{ NeedsDonor() bool })
		for _, t := range r.Tables {
			if ok && d.NeedsDonor() && t.Donor.Rows == 0 {
				return fmt.Errorf("eval: reconstruction: %s: method %s: %w", t.Name, m.Name(), heuristics.ErrNoDonor)
			}
		}
	}
	for _, t := range r.Tables {
		if t.Donor.Rows > 0 && t.Donor.Rows < r.New.VocabSize() {
			return fmt.Errorf("eval: reconstruction: %s: donor table has %d rows for %d new ids", t.Name, t.Donor.Rows, r.New.VocabSize())
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
func rebuild(ctx context.Context, m heuristics.Method, p *heuristics.Problem, base blas32.General, truth []int) (MethodReconstruction, error) {
	cols := base.Cols
	dst := blas32.General{Rows: len(p.Targets), Cols: cols, Stride: cols, Data: make([]float32, len(p.Targets)*cols)}
	counts, err := m.Build(ctx, p, dst)
	if err != nil {
		return MethodReconstruction{}, err
	}
	mr := MethodReconstruction{Method: m.Name(), Counts: counts}
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
