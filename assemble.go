package transplant

import (
	"context"
	"fmt"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/safetensors"
)

// assemble makes the new table for t: shared rows copied from the base,
// the map's rows applied, padding rows filled. base is t's whole base
// table (padding rows included), as readBase returns it.
//
// The map's rows are applied packed at the top of the new table and then
// moved down to their ids, so that no third table is needed.
func (s *Session) assemble(ctx context.Context, t Table, rm *heuristics.Map, base blas32.General) (blas32.General, error) {
	a := s.alignment
	if err := s.checkMap(rm, base.Cols); err != nil {
		return blas32.General{}, fmt.Errorf("transplant: %s: %w", t.Role, err)
	}
	fresh := newTable(a.Rows, base.Cols)
	n := len(rm.Rows)
	packed := blas32.General{Rows: n, Cols: base.Cols, Stride: base.Cols, Data: fresh.Data[:n*base.Cols]}
	if err := rm.Apply(ctx, packed, realRows(base, t)); err != nil {
		return blas32.General{}, fmt.Errorf("transplant: %s: %w", t.Role, err)
	}
	// Row i goes to id ≥ i (ids ascend); moving the last first never
	// overwrites a row still to be moved.
	for i := n - 1; i >= 0; i-- {
		if id := rm.Rows[i].ID; id != i {
			copy(rowOf(fresh, id), rowOf(fresh, i))
		}
	}
	fill := paddingRow(base, t.RealRows)
	for id, k := range a.Kind {
		switch {
		case k.Copied():
			copy(rowOf(fresh, id), rowOf(base, a.Source[id]))
		case k == align.Padding:
			copy(rowOf(fresh, id), fill)
		}
	}
	for _, c := range rm.Corrections {
		addTo(rowOf(fresh, c.ID), c.Delta)
	}
	return fresh, nil
}

// stream returns t's new table as a replacement the writer fills a block
// of rows at a time, the rows assemble would make, so that the new table
// is never held whole. It reads the base rows it needs from the base
// checkpoint as it goes, a row at a time: the base table is never held
// widened either, which keeps apply's memory to its maps and lets the
// page cache hold the checkpoint being copied. Maps with noise are
// assembled instead (heuristics.ErrNoiseByRow).
func (s *Session) stream(t Table, rm *heuristics.Map) (checkpoint.Replacement, error) {
	if err := s.checkMap(rm, t.Cols); err != nil {
		return checkpoint.Replacement{}, fmt.Errorf("transplant: %s: %w", t.Role, err)
	}
	corrected := map[int][]float32{}
	for _, c := range rm.Corrections {
		corrected[c.ID] = c.Delta
	}
	base := tensorRows{m: s.base, name: t.Tensor}
	w, err := rm.SourceRowWriter(base, t.RealRows, t.Cols)
	if err != nil {
		return checkpoint.Replacement{}, fmt.Errorf("transplant: %s: %w", t.Role, err)
	}
	a := s.alignment
	index := make([]int32, a.Rows) // the map's row of each built id
	for i, r := range rm.Rows {
		index[r.ID] = int32(i)
	}
	fill := make([]float32, t.Cols)
	if t.Rows > t.RealRows {
		pad := tensorRows{m: s.base, name: t.Tensor, first: t.RealRows}
		if fill, err = heuristics.ColumnMeanOf(pad, t.Rows-t.RealRows, t.Cols); err != nil {
			return checkpoint.Replacement{}, fmt.Errorf("transplant: %s: padding rows: %w", t.Role, err)
		}
	}
	cols := t.Cols
	row := func(id int, out []float32) error {
		switch k := a.Kind[id]; {
		case k.Copied():
			if err := base.ReadRows(out, a.Source[id], a.Source[id]+1); err != nil {
				return err
			}
			addTo(out, corrected[id])
		case k == align.Padding:
			copy(out, fill)
		default:
			if err := w.Row(out, int(index[id])); err != nil {
				return fmt.Errorf("new id %d: %w", id, err)
			}
		}
		return nil
	}
	r := checkpoint.Replacement{Rows: a.Rows, Cols: cols, Fill: func(start, end int, dst []float32) error {
		for id := start; id < end; id++ {
			if err := row(id, dst[(id-start)*cols:(id-start+1)*cols]); err != nil {
				return err
			}
		}
		return nil
	}}
	bt, ok := s.base.Tensor(t.Tensor)
	if !ok {
		return r, nil
	}
	// Rows copied as they are need not be widened and narrowed again. The
	// bits are the same either way for every value but a NaN, whose
	// payload narrowing would drop: copied, it stays as the base has it.
	r.RawDtype = bt.Dtype
	size := bt.Dtype.Size() * cols
	scratch := make([]float32, cols)
	r.FillRaw = func(start, end int, dst []byte) error {
		for id := start; id < end; id++ {
			out := dst[(id-start)*size : (id-start+1)*size]
			if a.Kind[id].Copied() && corrected[id] == nil {
				if err := s.base.ReadRawRows(t.Tensor, a.Source[id], a.Source[id]+1, out); err != nil {
					return err
				}
				continue
			}
			if err := row(id, scratch); err != nil {
				return err
			}
			if err := safetensors.FromFloat32(out, scratch, bt.Dtype); err != nil {
				return err
			}
		}
		return nil
	}
	return r, nil
}

// tensorRows reads the rows of a 2-D base tensor on demand, widened to
// float32, numbered from its row first.
type tensorRows struct {
	m     *checkpoint.Model
	name  string
	first int
}

func (r tensorRows) ReadRows(dst []float32, start, end int) error {
	return r.m.ReadRows(r.name, r.first+start, r.first+end, dst)
}

// checkMap refuses a map that does not build exactly the rows the
// alignment leaves to build, in ascending id order, or whose corrections
// are not of copied rows, in ascending id order, cols wide.
func (s *Session) checkMap(rm *heuristics.Map, cols int) error {
	if len(rm.Rows) != len(s.targets) {
		return fmt.Errorf("%w: %d rows for %d new tokens", heuristics.ErrMap, len(rm.Rows), len(s.targets))
	}
	for i, r := range rm.Rows {
		if r.ID != s.targets[i].NewID {
			return fmt.Errorf("%w: row %d is new id %d, want %d", heuristics.ErrMap, i, r.ID, s.targets[i].NewID)
		}
	}
	a := s.alignment
	for i, c := range rm.Corrections {
		switch {
		case c.ID < 0 || c.ID >= a.Rows || !a.Kind[c.ID].Copied():
			return fmt.Errorf("%w: correction of new id %d, which is not a copied row", heuristics.ErrMap, c.ID)
		case i > 0 && c.ID <= rm.Corrections[i-1].ID:
			return fmt.Errorf("%w: corrections out of order at new id %d", heuristics.ErrMap, c.ID)
		case len(c.Delta) != cols:
			return fmt.Errorf("%w: correction of new id %d has %d columns, not %d", heuristics.ErrMap, c.ID, len(c.Delta), cols)
		}
	}
	return nil
}

// addTo adds delta, when there is one, to row.
func addTo(row, delta []float32) {
	if delta == nil {
		return
	}
	for j := range row {
		row[j] += delta[j]
	}
}

// paddingRow is the row of padding ids, which no token uses. When the base
// had padding rows of its own it is their mean, which keeps the head's
// logits for them where training left the base's; otherwise zero.
func paddingRow(base blas32.General, realRows int) []float32 {
	if base.Rows > realRows {
		return heuristics.ColumnMean(blas32.General{Rows: base.Rows - realRows, Cols: base.Cols, Stride: base.Stride, Data: base.Data[realRows*base.Stride:]})
	}
	return make([]float32, base.Cols)
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
