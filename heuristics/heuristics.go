package heuristics

import (
	"context"
	"errors"
	"fmt"

	"gonum.org/v1/gonum/blas/blas32"
)

// An Anchor is a token both vocabularies share: its row in the base table
// (Old) and its row in the donor table (New).
type Anchor struct {
	Old, New int
}

// A Piece is one token of the old vocabulary that a new token's bytes
// decompose into, and how many of those bytes it covers.
type Piece struct {
	ID    int
	Bytes int
}

// A Target is a new token whose row a Method builds.
type Target struct {
	// NewID is the token's id in the new vocabulary (its row in Donor).
	NewID int
	// Bytes is the length of the byte string the token stands for.
	Bytes int
	// Pieces is how the old tokenizer cuts the token's bytes, in order.
	// It is empty when the old tokenizer has nothing for them.
	Pieces []Piece
}

// A Problem is one table to extend.
type Problem struct {
	// Base is the base model's table, one row per old id. Callers leave out
	// padding rows, so that statistics describe real tokens only.
	Base blas32.General
	// Output marks the output head; some methods weigh pieces differently
	// for the two tables.
	Output bool
	// Targets lists the tokens to build, in the order of the rows of dst.
	Targets []Target
	// Anchors lists the tokens both vocabularies share.
	Anchors []Anchor
	// Donor is an optional table indexed by new ids, from a model that
	// already uses the new tokenizer; Rows == 0 means there is none.
	Donor blas32.General
	// Seed makes random methods repeatable.
	Seed uint64
	// Progress, if set, is called with the number of targets done so far.
	Progress func(done, total int)
}

// Counts says how many rows each way of building produced, for example
// {"subword": 980, "mean (no pieces)": 20}.
type Counts map[string]int

// A Method fills dst, one row per target of p. dst has len(p.Targets) rows
// and p.Base.Cols columns.
type Method interface {
	Name() string
	Build(ctx context.Context, p *Problem, dst blas32.General) (Counts, error)
}

// ErrNoDonor is returned by methods that need a donor table when the
// problem has none.
var ErrNoDonor = errors.New("method needs a donor model (--donor)")

func (p *Problem) hasDonor() bool { return p.Donor.Rows > 0 }

// check validates the shapes every method relies on, so that the methods
// themselves can index without bounds worries.
func (p *Problem) check(dst blas32.General, needDonor bool) error {
	if p.Base.Rows == 0 || p.Base.Cols == 0 {
		return errors.New("heuristics: empty base table")
	}
	if dst.Rows != len(p.Targets) || dst.Cols != p.Base.Cols {
		return fmt.Errorf("heuristics: destination is %d×%d, want %d×%d", dst.Rows, dst.Cols, len(p.Targets), p.Base.Cols)
	}
	if needDonor && !p.hasDonor() {
		return ErrNoDonor
	}
	for i, t := range p.Targets {
		for _, pc := range t.Pieces {
			if pc.ID < 0 {
				return fmt.Errorf("heuristics: target %d (new id %d): negative piece id %d", i, t.NewID, pc.ID)
			}
		}
		if p.hasDonor() && (t.NewID < 0 || t.NewID >= p.Donor.Rows) {
			return fmt.Errorf("heuristics: target %d: new id %d outside the donor table (%d rows)", i, t.NewID, p.Donor.Rows)
		}
	}
	for i, a := range p.Anchors {
		if a.Old < 0 || a.Old >= p.Base.Rows {
			return fmt.Errorf("heuristics: anchor %d: old id %d outside the base table (%d rows)", i, a.Old, p.Base.Rows)
		}
		if p.hasDonor() && (a.New < 0 || a.New >= p.Donor.Rows) {
			return fmt.Errorf("heuristics: anchor %d: new id %d outside the donor table (%d rows)", i, a.New, p.Donor.Rows)
		}
	}
	return nil
}

func (p *Problem) progress(done int) {
	if p.Progress != nil {
		p.Progress(done, len(p.Targets))
	}
}

// row returns row i of m as a slice.
func row(m blas32.General, i int) []float32 {
	return m.Data[i*m.Stride : i*m.Stride+m.Cols]
}

// ByName returns the method with the given name and default parameters:
// zero, mean, randn, subword, knn, hybrid.
func ByName(name string) (Method, error) {
	switch name {
	case "zero":
		return Zero{}, nil
	case "mean":
		return Mean{}, nil
	case "randn":
		return Randn{Scale: DefaultRandnScale}, nil
	case "subword":
		return Subword{}, nil
	case "knn":
		return KNN{K: DefaultKNNK, Temperature: DefaultKNNTemperature}, nil
	case "hybrid":
		return DefaultHybrid(), nil
	}
	return nil, fmt.Errorf("heuristics: unknown method %q (want zero, mean, randn, subword, knn or hybrid)", name)
}
