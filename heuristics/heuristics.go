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

// A Role says which table of a model a Problem builds rows for.
type Role int

const (
	// InputEmbedding is the table that turns input ids into vectors.
	InputEmbedding Role = iota
	// OutputHead is the table whose rows score the next token (the
	// language-model head); a tied model has none of its own.
	OutputHead
)

var roleNames = []string{"input embedding", "output head"}

func (r Role) String() string {
	if r < 0 || int(r) >= len(roleNames) {
		return fmt.Sprintf("Role(%d)", int(r))
	}
	return roleNames[r]
}

// MarshalText writes the role's name, so that reports say "output head".
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a role's name.
func (r *Role) UnmarshalText(b []byte) error {
	for i, n := range roleNames {
		if n == string(b) {
			*r = Role(i)
			return nil
		}
	}
	return fmt.Errorf("heuristics: unknown table role %q", b)
}

// A Problem is one table to extend.
type Problem struct {
	// Base is the base model's table, one row per old id. Callers leave out
	// padding rows, so that statistics describe real tokens only.
	Base blas32.General
	// Role says which table Base is; some methods weigh pieces differently
	// for the two.
	Role Role
	// Targets lists the tokens to build, in the order of the map's rows.
	Targets []Target
	// Anchors lists the tokens both vocabularies share.
	Anchors []Anchor
	// Donor is an optional table indexed by new ids: a model that already
	// uses the new tokenizer, or auxiliary vectors for its tokens. Rows ==
	// 0 means there is none.
	Donor blas32.General
	// Seed makes random methods repeatable.
	Seed uint64
	// Progress, if set, is called with the number of targets done so far.
	Progress func(done, total int)
}

// Counts says how many rows each way of building produced, for example
// {"subword": 980, "mean (no pieces)": 20}.
type Counts map[string]int

// A Method says how to build a row for every target of a Problem: it
// returns a Map, which Map.Apply turns into rows.
type Method interface {
	Name() string
	Build(ctx context.Context, p *Problem) (*Map, error)
}

// A DonorMethod is a Method that may need a donor table (Problem.Donor).
type DonorMethod interface {
	Method
	// RequiresDonor reports whether the method cannot build rows without
	// a donor table.
	RequiresDonor() bool
}

// A BaseDependent is a Method whose map may depend on the values of the
// base table, not only on the vocabularies and the donor, so that a map
// made on one checkpoint does not hold for another with the same
// vocabulary (its fine-tunes): such a map is made again for each.
type BaseDependent interface {
	Method
	// DependsOnBase reports whether the map depends on the base table's
	// values when the problem has a donor table or not.
	DependsOnBase(hasDonor bool) bool
}

// DependsOnBase reports whether m's map, on a problem with or without a
// donor table, depends on the base table's values.
func DependsOnBase(m Method, hasDonor bool) bool {
	d, ok := m.(BaseDependent)
	return ok && d.DependsOnBase(hasDonor)
}

// RequiresDonor reports whether m cannot run without a donor table.
func RequiresDonor(m Method) bool {
	d, ok := m.(DonorMethod)
	return ok && d.RequiresDonor()
}

// ErrNoDonor is returned by methods that need a donor table when the
// problem has none.
var ErrNoDonor = errors.New("method needs a donor table (a donor model, or auxiliary vectors for the new tokens)")

func (p *Problem) hasDonor() bool { return p.Donor.Rows > 0 }

// check validates the shapes every method relies on, so that the methods
// themselves can index without bounds worries.
func (p *Problem) check(needDonor bool) error {
	if p.Base.Rows == 0 || p.Base.Cols == 0 {
		return errors.New("heuristics: empty base table")
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
