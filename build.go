package transplant

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/omp"
)

// scratch holds the float32 buffers a run reuses from one table to the
// next, so that building the head does not allocate what building the
// embedding just let go of.
type scratch struct {
	base, donor []float32
}

func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// build makes the new table for t: shared rows copied, the others built by
// t's method, padding rows filled. A head bias travels as one more column,
// so that every method treats it as part of the row.
//
// The method writes its rows straight into the new table, packed at the top,
// and they are then moved down to their ids: no third table is needed.
func (j *Job) build(ctx context.Context, t table, s *scratch) (blas32.General, heuristics.Counts, *omp.Solution, error) {
	base, err := j.readBase(t, s)
	if err != nil {
		return blas32.General{}, nil, nil, err
	}
	p := &heuristics.Problem{
		Base:     blas32.General{Rows: t.realRows, Cols: base.Cols, Stride: base.Stride, Data: base.Data},
		Output:   t.output,
		Targets:  j.targets,
		Anchors:  j.anchors,
		Seed:     j.opts.Seed,
		Progress: j.opts.progress(t.stageLabel),
	}
	if t.donorName != "" {
		s.donor = grow(s.donor, t.donorRows*t.donorCols)
		if err := j.donor.ReadRows(t.donorName, 0, t.donorRows, s.donor); err != nil {
			return blas32.General{}, nil, nil, fmt.Errorf("transplant: donor: %w", err)
		}
		p.Donor = blas32.General{Rows: t.donorRows, Cols: t.donorCols, Stride: t.donorCols, Data: s.donor}
	}
	a := j.alignment
	fresh := newTable(a.Rows, base.Cols)
	packed := blas32.General{Rows: len(j.targets), Cols: base.Cols, Stride: base.Cols, Data: fresh.Data[:len(j.targets)*base.Cols]}
	method, sol := t.method, (*omp.Solution)(nil)
	if m, ok := method.(omp.Method); ok {
		m.Report = func(_ *heuristics.Problem, s *omp.Solution) { sol = s }
		method = m
	}
	counts, err := method.Build(ctx, p, packed)
	if err != nil {
		return blas32.General{}, nil, nil, fmt.Errorf("transplant: %s: %s: %w", t.stageLabel, t.method.Name(), err)
	}
	// Target i goes to row NewID ≥ i (ids ascend); moving the last first
	// never overwrites a row still to be moved.
	for i := len(j.targets) - 1; i >= 0; i-- {
		if id := j.targets[i].NewID; id != i {
			copy(rowOf(fresh, id), rowOf(fresh, i))
		}
	}
	for id, k := range a.Kind {
		if k.Copied() {
			copy(rowOf(fresh, id), rowOf(base, a.Source[id]))
		}
	}
	counts["copied"] = a.Report.Shared
	if n := fillPadding(fresh, base, t.realRows, a); n > 0 {
		counts["padding"] = n
	}
	return fresh, counts, sol, nil
}

// readBase widens t's base tensor into the scratch buffer, with the head
// bias as a last column when t has one.
func (j *Job) readBase(t table, s *scratch) (blas32.General, error) {
	cols := t.cols
	if t.biasName != "" {
		cols++
	}
	s.base = grow(s.base, t.baseRows*cols)
	if err := j.base.ReadRows(t.name, 0, t.baseRows, s.base[:t.baseRows*t.cols]); err != nil {
		return blas32.General{}, fmt.Errorf("transplant: %w", err)
	}
	m := blas32.General{Rows: t.baseRows, Cols: cols, Stride: cols, Data: s.base}
	if t.biasName == "" {
		return m, nil
	}
	bias, shape, err := j.base.Float32(t.biasName)
	if err != nil {
		return blas32.General{}, fmt.Errorf("transplant: %w", err)
	}
	if len(shape) != 1 || shape[0] != t.baseRows {
		return blas32.General{}, fmt.Errorf("transplant: base %s: head bias %q has shape %v, head has %d rows", j.opts.Base, t.biasName, shape, t.baseRows)
	}
	// Spread the rows from stride t.cols to t.cols+1, last row first.
	for i := t.baseRows - 1; i >= 0; i-- {
		copy(s.base[i*cols:i*cols+t.cols], s.base[i*t.cols:(i+1)*t.cols])
		s.base[i*cols+t.cols] = bias[i]
	}
	return m, nil
}

// fillPadding fills the rows no token uses. When the base had padding rows
// of its own, the new ones get their mean, which keeps the head's logits for
// them where training left the base's; otherwise they are zero.
func fillPadding(fresh, base blas32.General, realRows int, a *align.Alignment) int {
	var fill []float32
	if base.Rows > realRows {
		fill = heuristics.ColumnMean(blas32.General{Rows: base.Rows - realRows, Cols: base.Cols, Stride: base.Stride, Data: base.Data[realRows*base.Stride:]})
	} else {
		fill = make([]float32, base.Cols)
	}
	n := 0
	for id, k := range a.Kind {
		if k == align.Padding {
			copy(rowOf(fresh, id), fill)
			n++
		}
	}
	return n
}

func newTable(rows, cols int) blas32.General {
	return blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
}

func rowOf(m blas32.General, i int) []float32 {
	return m.Data[i*m.Stride : i*m.Stride+m.Cols]
}

// splitBias views the bias column apart: the weight columns, and the bias
// as a one-column table with the same stride. Nothing is copied.
func splitBias(m blas32.General) (w, bias blas32.General) {
	w = blas32.General{Rows: m.Rows, Cols: m.Cols - 1, Stride: m.Stride, Data: m.Data}
	bias = blas32.General{Rows: m.Rows, Cols: 1, Stride: m.Stride, Data: m.Data[m.Cols-1:]}
	return w, bias
}
