package heuristics

import "fmt"

// A RowSource reads rows of a base table on demand, for a caller that
// must not hold the table widened to float32: a checkpoint's embedding of
// a large vocabulary is gigabytes, and a streamed write needs only the few
// rows each new row combines.
type RowSource interface {
	// ReadRows writes rows [start, end) of the table into dst, row-major;
	// len(dst) is (end-start) times the table's width.
	ReadRows(dst []float32, start, end int) error
}

// A SourceRowWriter writes the rows of a map as RowWriter does, bit for
// bit, reading the base rows they combine from a RowSource when it needs
// them. It is not safe for concurrent use.
type SourceRowWriter struct {
	m    *Map
	src  RowSource
	rows int
	mean []float32 // the base's column mean, once a row needs it
	acc  []float64
	buf  []float32
}

// SourceRowWriter checks m against a base of rows×cols read from src, and
// prepares to write its rows. The base's column mean, when a row needs it,
// is read in one pass over src by the first Row that does: a writer that
// streams a table out then reads it on its own time, not its caller's.
// Maps with noise are refused (ErrNoiseByRow).
func (m *Map) SourceRowWriter(src RowSource, rows, cols int) (*SourceRowWriter, error) {
	if err := m.checkSize(rows, cols); err != nil {
		return nil, err
	}
	for _, r := range m.Rows {
		if r.Noise {
			return nil, ErrNoiseByRow
		}
	}
	return &SourceRowWriter{m: m, src: src, rows: rows, acc: make([]float64, cols), buf: make([]float32, cols)}, nil
}

// Row writes into dst, of the base's width, the row m.Rows[i] describes.
// After an error dst holds unspecified values.
func (w *SourceRowWriter) Row(dst []float32, i int) error {
	r := w.m.Rows[i]
	if r.Mean != 0 && w.mean == nil {
		mean, err := ColumnMeanOf(w.src, w.rows, len(w.buf))
		if err != nil {
			return fmt.Errorf("column mean: %w", err)
		}
		w.mean = mean
	}
	var err error
	combine(dst, r, w.mean, w.acc, func(old int) []float32 {
		if rerr := w.src.ReadRows(w.buf, old, old+1); rerr != nil && err == nil {
			err = fmt.Errorf("base row %d: %w", old, rerr)
		}
		return w.buf
	})
	return err
}

// meanBlockRows bounds the rows ColumnMeanOf reads at a time.
const meanBlockRows = 256

// ColumnMeanOf is ColumnMean of the rows×cols table src reads, bit for
// bit: the same sums in the same order, a block of rows at a time.
func ColumnMeanOf(src RowSource, rows, cols int) ([]float32, error) {
	sum := make([]float64, cols)
	block := make([]float32, min(rows, meanBlockRows)*cols)
	for start := 0; start < rows; start += meanBlockRows {
		end := min(start+meanBlockRows, rows)
		b := block[:(end-start)*cols]
		if err := src.ReadRows(b, start, end); err != nil {
			return nil, fmt.Errorf("base rows [%d, %d): %w", start, end, err)
		}
		for i := 0; i < end-start; i++ {
			for j, v := range b[i*cols : (i+1)*cols] {
				sum[j] += float64(v)
			}
		}
	}
	mean := make([]float32, cols)
	for j, s := range sum {
		mean[j] = float32(s / float64(rows))
	}
	return mean, nil
}
