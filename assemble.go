package transplant

import (
	"context"
	"fmt"
	"runtime"

	"golang.org/x/sync/errgroup"
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
	sr := &streamRows{s: s, t: t, corrected: map[int][]float32{}, index: make([]int32, s.alignment.Rows), fill: make([]float32, t.Cols)}
	for _, c := range rm.Corrections {
		sr.corrected[c.ID] = c.Delta
	}
	for i, r := range rm.Rows {
		sr.index[r.ID] = int32(i)
	}
	w, err := rm.SourceRowWriter(s.baseRows(t.Tensor, 0), t.RealRows, t.Cols)
	if err != nil {
		return checkpoint.Replacement{}, fmt.Errorf("transplant: %s: %w", t.Role, err)
	}
	// The checkpoint reads rows safely from several goroutines, so each
	// core builds rows with a writer of its own.
	sr.workers = make([]rowWorker, max(1, runtime.GOMAXPROCS(0)))
	for i := range sr.workers {
		sr.workers[i] = rowWorker{w: w, scratch: make([]float32, t.Cols)}
		if i > 0 {
			sr.workers[i].w = w.Fork()
		}
	}
	if t.Rows > t.RealRows {
		if sr.fill, err = heuristics.ColumnMeanOf(s.baseRows(t.Tensor, t.RealRows), t.Rows-t.RealRows, t.Cols); err != nil {
			return checkpoint.Replacement{}, fmt.Errorf("transplant: %s: padding rows: %w", t.Role, err)
		}
	}
	cols := t.Cols
	r := checkpoint.Replacement{Rows: s.alignment.Rows, Cols: cols, Fill: func(start, end int, dst []float32) error {
		return sr.parallel(start, end, func(wk *rowWorker, id int) error {
			return sr.row(wk, id, dst[(id-start)*cols:(id-start+1)*cols])
		})
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
	r.FillRaw = func(start, end int, dst []byte) error {
		return sr.parallel(start, end, func(wk *rowWorker, id int) error {
			return sr.rawRow(wk, id, dst[(id-start)*size:(id-start+1)*size], bt.Dtype)
		})
	}
	// The writer copies those rows from the base file itself.
	r.Kept, r.KeptFrom = sr.keptRuns(), t.Tensor
	return r, nil
}

// keptRuns lists the rows copied without correction, in runs of
// consecutive base rows.
func (sr *streamRows) keptRuns() []checkpoint.RowRun {
	a := sr.s.alignment
	var runs []checkpoint.RowRun
	for id := range a.Rows {
		if !sr.kept(id) {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1].Row+runs[n-1].N == id && runs[n-1].From+runs[n-1].N == a.Source[id] {
			runs[n-1].N++
			continue
		}
		runs = append(runs, checkpoint.RowRun{Row: id, From: a.Source[id], N: 1})
	}
	return runs
}

// kept reports whether new id's row is the base's as it is.
func (sr *streamRows) kept(id int) bool {
	return sr.s.alignment.Kind[id].Copied() && sr.corrected[id] == nil
}

// streamRows builds the rows of one streamed table.
type streamRows struct {
	s         *Session
	t         Table
	corrected map[int][]float32 // corrections of copied rows, by new id
	index     []int32           // the map's row of each built id
	fill      []float32         // the padding rows' value
	workers   []rowWorker
}

// rowWorker is what one goroutine builds rows with.
type rowWorker struct {
	w       *heuristics.SourceRowWriter
	scratch []float32
}

// minRowsPerWorker keeps a block of few rows on one goroutine, where
// starting others would cost more than it saves.
const minRowsPerWorker = 64

// parallel calls do for every id in [start, end), the ids cut into
// contiguous runs, one per worker.
func (sr *streamRows) parallel(start, end int, do func(wk *rowWorker, id int) error) error {
	n := min(len(sr.workers), max(1, (end-start)/minRowsPerWorker))
	var g errgroup.Group
	for k := range n {
		lo, hi := start+(end-start)*k/n, start+(end-start)*(k+1)/n
		wk := &sr.workers[k]
		g.Go(func() error {
			for id := lo; id < hi; id++ {
				if err := do(wk, id); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// row writes new id's row into out as float32.
func (sr *streamRows) row(wk *rowWorker, id int, out []float32) error {
	a := sr.s.alignment
	switch k := a.Kind[id]; {
	case k.Copied():
		if err := sr.s.base.ReadRows(sr.t.Tensor, a.Source[id], a.Source[id]+1, out); err != nil {
			return err
		}
		addTo(out, sr.corrected[id])
	case k == align.Padding:
		copy(out, sr.fill)
	default:
		if err := wk.w.Row(out, int(sr.index[id])); err != nil {
			return fmt.Errorf("new id %d: %w", id, err)
		}
	}
	return nil
}

// rawRow writes new id's row into out encoded in dt, the base tensor's
// dtype; a kept row it leaves to the writer.
func (sr *streamRows) rawRow(wk *rowWorker, id int, out []byte, dt safetensors.Dtype) error {
	if sr.kept(id) {
		return nil
	}
	if err := sr.row(wk, id, wk.scratch); err != nil {
		return err
	}
	return safetensors.FromFloat32(out, wk.scratch, dt)
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

// bf16Rows are the tensorRows of a BF16 tensor, which heuristics reads
// as stored (heuristics.BF16RowSource).
type bf16Rows struct{ tensorRows }

func (r bf16Rows) ReadBF16Rows(dst []byte, start, end int) error {
	return r.m.ReadRawRows(r.name, r.first+start, r.first+end, dst)
}

// baseRows reads the rows of the base's 2-D tensor name from row first on.
func (s *Session) baseRows(name string, first int) heuristics.RowSource {
	r := tensorRows{m: s.base, name: name, first: first}
	if t, ok := s.base.Tensor(name); ok && t.Dtype == safetensors.BF16 {
		return bf16Rows{r}
	}
	return r
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
