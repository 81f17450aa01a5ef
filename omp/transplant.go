package omp

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/blas/blas32"
)

// An Anchor is a token both models know: its row in the donor table and
// its row in the base table.
type Anchor struct {
	Donor, Base int
}

// Transplant builds a base-model row for each donor row listed in targets,
// into the rows of dst. It decomposes each target's donor row over the
// anchors' donor rows with Solve, then applies the same coefficients to the
// anchors' base rows. The two tables may have different widths; dst has
// len(targets) rows and base.Cols columns. dst is written only on success.
//
// A model's input embedding and output head are separate tables, so a
// transplant of both calls Transplant twice, each time with the donor's and
// the base's table of the same kind.
func Transplant(ctx context.Context, dst, donor, base blas32.General, anchors []Anchor, targets []int, opts Options) (*Solution, error) {
	if err := checkShape("donor table", donor); err != nil {
		return nil, err
	}
	if err := checkShape("base table", base); err != nil {
		return nil, err
	}
	if len(anchors) == 0 {
		return nil, fmt.Errorf("omp: transplant: no anchors: %w", ErrShape)
	}
	if dst.Rows != len(targets) || dst.Cols != base.Cols {
		return nil, fmt.Errorf("omp: transplant: destination is %d×%d, want %d×%d: %w", dst.Rows, dst.Cols, len(targets), base.Cols, ErrShape)
	}
	donorRows := make([]int, len(anchors))
	baseRows := make([]int, len(anchors))
	for i, a := range anchors {
		if a.Donor < 0 || a.Donor >= donor.Rows || a.Base < 0 || a.Base >= base.Rows {
			return nil, fmt.Errorf("omp: transplant: anchor %d is donor row %d, base row %d; the tables have %d and %d rows: %w",
				i, a.Donor, a.Base, donor.Rows, base.Rows, ErrShape)
		}
		donorRows[i], baseRows[i] = a.Donor, a.Base
	}
	for i, r := range targets {
		if r < 0 || r >= donor.Rows {
			return nil, fmt.Errorf("omp: transplant: target %d is donor row %d of %d: %w", i, r, donor.Rows, ErrShape)
		}
	}
	if err := checkFinite("base table", base, baseRows); err != nil {
		return nil, err
	}
	sol, err := Solve(ctx, gather(donor, donorRows), gather(donor, targets), opts)
	if err != nil {
		return nil, err
	}
	if err := sol.Combine(dst, base, baseRows); err != nil {
		return nil, err
	}
	return sol, nil
}

// gather copies the listed rows of m into a compact matrix.
func gather(m blas32.General, rows []int) blas32.General {
	out := blas32.General{Rows: len(rows), Cols: m.Cols, Stride: m.Cols, Data: make([]float32, len(rows)*m.Cols)}
	for i, r := range rows {
		copy(out.Data[i*m.Cols:(i+1)*m.Cols], m.Data[r*m.Stride:r*m.Stride+m.Cols])
	}
	return out
}
