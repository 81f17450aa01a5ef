package transplant

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/heuristics"
)

// build makes the new table for t: shared rows copied, the others built by
// t's method, padding rows filled. A head bias travels as one more column,
// so that every method treats it as part of the row.
func (j *Job) build(ctx context.Context, t table) (blas32.General, heuristics.Counts, error) {
	base, err := j.base.Table(t.name)
	if err != nil {
		return blas32.General{}, nil, fmt.Errorf("transplant: %w", err)
	}
	if t.biasName != "" {
		if base, err = j.withBias(base, t.biasName); err != nil {
			return blas32.General{}, nil, err
		}
	}
	a := j.alignment
	fresh := newTable(a.Rows, base.Cols)
	for id, k := range a.Kind {
		if k.Copied() {
			copy(rowOf(fresh, id), rowOf(base, a.Source[id]))
		}
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
		if p.Donor, err = j.donor.Table(t.donorName); err != nil {
			return blas32.General{}, nil, fmt.Errorf("transplant: donor: %w", err)
		}
	}
	built := newTable(len(j.targets), base.Cols)
	counts, err := t.method.Build(ctx, p, built)
	if err != nil {
		return blas32.General{}, nil, fmt.Errorf("transplant: %s: %s: %w", t.stageLabel, t.method.Name(), err)
	}
	for i, tg := range j.targets {
		copy(rowOf(fresh, tg.NewID), rowOf(built, i))
	}
	counts["copied"] = a.Report.Shared
	if n := fillPadding(fresh, base, t.realRows, a); n > 0 {
		counts["padding"] = n
	}
	return fresh, counts, nil
}

// withBias appends the bias as a last column.
func (j *Job) withBias(w blas32.General, name string) (blas32.General, error) {
	bias, shape, err := j.base.Float32(name)
	if err != nil {
		return blas32.General{}, fmt.Errorf("transplant: %w", err)
	}
	if len(shape) != 1 || shape[0] != w.Rows {
		return blas32.General{}, fmt.Errorf("transplant: base %s: head bias %q has shape %v, head has %d rows", j.opts.Base, name, shape, w.Rows)
	}
	out := newTable(w.Rows, w.Cols+1)
	for i := 0; i < w.Rows; i++ {
		r := rowOf(out, i)
		copy(r, rowOf(w, i))
		r[w.Cols] = bias[i]
	}
	return out, nil
}

// fillPadding fills the rows no token uses. When the base had padding rows
// of its own, the new ones get their mean, which keeps the head's logits for
// them where training left the base's; otherwise they are zero.
func fillPadding(fresh, base blas32.General, realRows int, a *align.Alignment) int {
	var rows []int
	for id, k := range a.Kind {
		if k == align.Padding {
			rows = append(rows, id)
		}
	}
	if base.Rows > realRows {
		pad := blas32.General{Rows: base.Rows - realRows, Cols: base.Cols, Stride: base.Stride, Data: base.Data[realRows*base.Stride:]}
		mean := heuristics.ColumnMean(pad)
		for _, r := range rows {
			copy(rowOf(fresh, r), mean)
		}
	}
	return len(rows)
}

func newTable(rows, cols int) blas32.General {
	return blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: make([]float32, rows*cols)}
}

func rowOf(m blas32.General, i int) []float32 {
	return m.Data[i*m.Stride : i*m.Stride+m.Cols]
}

// splitBias undoes withBias: the weight columns, and the bias as a column.
func splitBias(m blas32.General) (w, bias blas32.General) {
	w, bias = newTable(m.Rows, m.Cols-1), newTable(m.Rows, 1)
	for i := 0; i < m.Rows; i++ {
		r := rowOf(m, i)
		copy(rowOf(w, i), r[:m.Cols-1])
		bias.Data[i] = r[m.Cols-1]
	}
	return w, bias
}
