package transplant

import (
	"fmt"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/heuristics"
)

// A Table is one tensor of the base model that the transplant builds anew,
// and the donor's matching tensor.
type Table struct {
	Role heuristics.Role
	// Tensor names the base tensor; Bias the head's bias, built with it as
	// one more column, "" when there is none.
	Tensor, Bias string
	// Rows and Cols are the base tensor's shape; RealRows of its rows
	// belong to tokens of the old vocabulary, the rest is padding.
	Rows, Cols, RealRows int
	// DonorTensor names the donor's matching tensor, "" without a donor.
	DonorTensor          string
	DonorRows, DonorCols int
}

// width is the number of columns a method sees: the bias is one more.
func (t Table) width() int {
	if t.Bias != "" {
		return t.Cols + 1
	}
	return t.Cols
}

// Tables lists the tensors the transplant builds: the input embedding
// and, unless tied, the output head.
func (s *Session) Tables() []Table { return s.tables }

func (s *Session) listTables() ([]Table, error) {
	emb, _ := s.base.Embedding()
	tabs := []Table{{Role: heuristics.InputEmbedding, Tensor: emb.Name, Rows: emb.Shape[0], Cols: emb.Shape[1]}}
	if !s.base.Tied() {
		head, ok := s.base.Head()
		if !ok {
			return nil, fmt.Errorf("transplant: base %s: untied model without an output head tensor", s.in.Base)
		}
		if head.Shape[0] != emb.Shape[0] {
			return nil, fmt.Errorf("transplant: base %s: head %q has %d rows, embedding %q %d: cannot align both",
				s.in.Base, head.Name, head.Shape[0], emb.Name, emb.Shape[0])
		}
		out := Table{Role: heuristics.OutputHead, Tensor: head.Name, Rows: head.Shape[0], Cols: head.Shape[1]}
		if arch, ok := s.base.Architecture(); ok && arch.HeadBias != "" {
			if _, ok := s.base.Tensor(arch.HeadBias); ok {
				out.Bias = arch.HeadBias
			}
		}
		tabs = append(tabs, out)
	}
	for i := range tabs {
		t := &tabs[i]
		t.RealRows = min(t.Rows, s.oldTok.VocabSize())
		if s.donor != nil {
			s.matchDonor(t)
		}
	}
	return tabs, nil
}

// matchDonor picks the donor table matching t: the donor's embedding for
// the input side, its head (or its embedding when tied) for the output side.
func (s *Session) matchDonor(t *Table) {
	d, _ := s.donor.Embedding()
	if t.Role == heuristics.OutputHead && !s.donor.Tied() {
		if h, ok := s.donor.Head(); ok {
			d = h
		}
	}
	t.DonorTensor, t.DonorRows, t.DonorCols = d.Name, d.Shape[0], d.Shape[1]
}

// A scratch holds the float32 buffers a run reuses from one table to the
// next, so that reading the head does not allocate what reading the
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

// readBase widens t's base tensor, all its rows, into the scratch buffer,
// with the head bias as a last column when t has one, so that every method
// treats the bias as part of the row.
func (s *Session) readBase(t Table, buf *scratch) (blas32.General, error) {
	cols := t.width()
	buf.base = grow(buf.base, t.Rows*cols)
	if err := s.base.ReadRows(t.Tensor, 0, t.Rows, buf.base[:t.Rows*t.Cols]); err != nil {
		return blas32.General{}, fmt.Errorf("transplant: %w", err)
	}
	m := blas32.General{Rows: t.Rows, Cols: cols, Stride: cols, Data: buf.base}
	if t.Bias == "" {
		return m, nil
	}
	bias, shape, err := s.base.Float32(t.Bias)
	if err != nil {
		return blas32.General{}, fmt.Errorf("transplant: %w", err)
	}
	if len(shape) != 1 || shape[0] != t.Rows {
		return blas32.General{}, fmt.Errorf("transplant: base %s: head bias %q has shape %v, head has %d rows", s.in.Base, t.Bias, shape, t.Rows)
	}
	// Spread the rows from stride t.Cols to t.Cols+1, last row first.
	for i := t.Rows - 1; i >= 0; i-- {
		copy(buf.base[i*cols:i*cols+t.Cols], buf.base[i*t.Cols:(i+1)*t.Cols])
		buf.base[i*cols+t.Cols] = bias[i]
	}
	return m, nil
}

// readDonor reads t's donor table into the scratch buffer; the zero
// table without a donor.
func (s *Session) readDonor(t Table, buf *scratch) (blas32.General, error) {
	if s.aux != nil {
		return s.aux.Table, nil
	}
	if t.DonorTensor == "" {
		return blas32.General{}, nil
	}
	buf.donor = grow(buf.donor, t.DonorRows*t.DonorCols)
	if err := s.donor.ReadRows(t.DonorTensor, 0, t.DonorRows, buf.donor); err != nil {
		return blas32.General{}, fmt.Errorf("transplant: donor: %w", err)
	}
	return blas32.General{Rows: t.DonorRows, Cols: t.DonorCols, Stride: t.DonorCols, Data: buf.donor}, nil
}

// realRows views the rows of base that belong to old tokens: what methods
// and maps see, so that padding never counts in a mean.
func realRows(base blas32.General, t Table) blas32.General {
	return blas32.General{Rows: t.RealRows, Cols: base.Cols, Stride: base.Stride, Data: base.Data}
}

// problem makes t's problem: its base rows (padding left out), the donor's
// table, and the given targets and anchors.
func (s *Session) problem(t Table, targets []heuristics.Target, anchors []heuristics.Anchor, seed uint64, buf *scratch) (*heuristics.Problem, blas32.General, error) {
	base, err := s.readBase(t, buf)
	if err != nil {
		return nil, blas32.General{}, err
	}
	donor, err := s.readDonor(t, buf)
	if err != nil {
		return nil, blas32.General{}, err
	}
	p := &heuristics.Problem{Base: realRows(base, t), Role: t.Role, Targets: targets, Anchors: anchors, Donor: donor, Seed: seed}
	return p, base, nil
}

// table returns the table of the given role; a tied model has no head.
func (s *Session) table(r heuristics.Role) (Table, bool) {
	for _, t := range s.tables {
		if t.Role == r {
			return t, true
		}
	}
	return Table{}, false
}
