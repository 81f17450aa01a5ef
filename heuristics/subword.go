package heuristics

import (
	"context"
	"fmt"
)

// Combine says how Subword turns the rows of a token's pieces into one row.
type Combine int

const (
	// CombineMean averages the pieces' rows.
	CombineMean Combine = iota
	// CombineFirst takes the first piece's row: for the output head, the
	// first piece is what the model must predict to start the token.
	CombineFirst
	// CombineLast takes the last piece's row: for the input embedding, the
	// last piece is where the model has read the whole token.
	CombineLast
	// CombineLength weighs each piece's row by the bytes it covers.
	CombineLength
)

var combineNames = []string{"mean", "first", "last", "length"}

func (c Combine) String() string {
	if c < 0 || int(c) >= len(combineNames) {
		return fmt.Sprintf("Combine(%d)", int(c))
	}
	return combineNames[c]
}

// MarshalText writes the combination's name, so that reports say "mean".
func (c Combine) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads a combination's name.
func (c *Combine) UnmarshalText(b []byte) (err error) {
	*c, err = ParseCombine(string(b))
	return err
}

// ParseCombine reads a Combine from its name: mean, first, last or length.
func ParseCombine(s string) (Combine, error) {
	for i, n := range combineNames {
		if n == s {
			return Combine(i), nil
		}
	}
	return 0, fmt.Errorf("heuristics: unknown subword combination %q (want mean, first, last or length)", s)
}

// Subword builds a token's row from the base rows of the pieces the old
// tokenizer cuts its bytes into. Input and Output choose the combination for
// the input embedding and the output head; the zero value averages both.
// Tokens without usable pieces get the mean of the base rows.
type Subword struct {
	Input, Output Combine
}

// Name implements Method.
func (Subword) Name() string { return "subword" }

// Build implements Method.
func (s Subword) Build(_ context.Context, p *Problem) (*Map, error) {
	if err := p.check(false); err != nil {
		return nil, err
	}
	how := s.For(p.Role)
	m := newMap(p.Targets)
	for i, t := range p.Targets {
		pieces, weights := PieceWeights(t.Pieces, how, p.Base.Rows)
		if len(pieces) == 0 {
			m.Rows[i].setMean("mean (no pieces)")
			continue
		}
		m.Rows[i].Terms, m.Rows[i].How = termsOf(pieces, weights), "subword"
	}
	p.progress(len(m.Rows))
	return m, nil
}

// termsOf pairs pieces with their weights.
func termsOf(pieces []Piece, weights []float64) []Term {
	terms := make([]Term, len(pieces))
	for k, pc := range pieces {
		terms[k] = Term{Old: pc.ID, Weight: weights[k]}
	}
	return terms
}

// PieceWeights returns the pieces Subword uses, those with a row among the
// first rows of the base table (ids the tokenizer has but the checkpoint
// lacks are left out), and the weight of each in the combination how.
func PieceWeights(pieces []Piece, how Combine, rows int) ([]Piece, []float64) {
	var valid []Piece
	for _, pc := range pieces {
		if pc.ID < rows {
			valid = append(valid, pc)
		}
	}
	weights := make([]float64, len(valid))
	if len(valid) == 0 {
		return nil, nil
	}
	switch how {
	case CombineFirst:
		weights[0] = 1
		return valid[:1], weights[:1]
	case CombineLast:
		weights[len(valid)-1] = 1
		return valid[len(valid)-1:], weights[len(valid)-1:]
	}
	var total float64
	for k, pc := range valid {
		w := 1.0
		if how == CombineLength {
			w = float64(max(pc.Bytes, 1))
		}
		weights[k] = w
		total += w
	}
	for k := range weights {
		weights[k] /= total
	}
	return valid, weights
}

// For returns the combination Subword uses for the table of the given role.
func (s Subword) For(r Role) Combine {
	if r == OutputHead {
		return s.Output
	}
	return s.Input
}
