package heuristics

import (
	"cmp"
	"fmt"
	"sync"

	"github.com/transplant-dev/transplant/internal/bf16"
)

// A RowSource reads rows of a base table on demand, for a caller that
// must not hold the table widened to float32: a checkpoint's embedding of
// a large vocabulary is gigabytes, and a streamed write needs only the few
// rows each new row combines.
type RowSource interface {
	// ReadRows writes rows [start, end) of the table into dst, row-major;
	// len(dst) is (end-start) times the table's width.
	ReadRows(dst []float32, start, end int) error
}

// A BF16RowSource is a RowSource of a table stored in bfloat16 (most
// checkpoints' tables) that can also read its rows as stored.
// ColumnMeanOf and SourceRowWriter then widen each value as they add it,
// instead of widening every row read into a float32 copy first: the
// values, and so the sums, are the same bit for bit.
type BF16RowSource interface {
	RowSource
	// ReadBF16Rows writes rows [start, end) into dst as little-endian
	// bfloat16, two bytes a value.
	ReadBF16Rows(dst []byte, start, end int) error
}

// A SourceRowWriter writes the rows of a map as RowWriter does, bit for
// bit, reading the base rows they combine from a RowSource when it needs
// them. It is not safe for concurrent use; Fork gives another goroutine a
// writer of its own.
type SourceRowWriter struct {
	m    *Map
	src  RowSource
	rows int
	mean *sharedMean
	acc  []float64
	// The base rows read last, widened or, from a BF16RowSource, as
	// stored (allocated on the first read).
	wide rowCache[float32]
	raw  rowCache[byte]
}

// rowCacheBytes is the memory each writer keeps base rows in. New tokens
// share their pieces: the 42,089 subword rows of a 128k-token table onto
// Qwen 3's vocabulary combine 102,262 base rows, 9,029 of them distinct,
// and 4 MiB of 8 KiB rows saves 58% of the reads (their syscalls and
// copies out of the page cache).
const rowCacheBytes = 4 << 20

// rowCache keeps base rows by their index modulo its size.
type rowCache[E any] struct {
	bytes int   // memory for the rows (tests make it small)
	ids   []int // the row in each slot, -1 for none
	rows  []E
	width int
}

func newRowCaches() (rowCache[float32], rowCache[byte]) {
	return rowCache[float32]{bytes: rowCacheBytes}, rowCache[byte]{bytes: rowCacheBytes}
}

// row returns base row old, read with read into a slot on a miss. It
// stays valid until the next call.
func (c *rowCache[E]) row(old, width, elemBytes int, read func(dst []E, start, end int) error) ([]E, error) {
	if c.ids == nil {
		n := max(1, c.bytes/(width*elemBytes))
		c.ids, c.rows, c.width = make([]int, n), make([]E, n*width), width
		for i := range c.ids {
			c.ids[i] = -1
		}
	}
	k := old % len(c.ids)
	r := c.rows[k*c.width : (k+1)*c.width]
	if c.ids[k] != old {
		c.ids[k] = -1
		if err := read(r, old, old+1); err != nil {
			return nil, err
		}
		c.ids[k] = old
	}
	return r, nil
}

// sharedMean is the base's column mean, read once by whichever writer of a
// family (a writer and its forks) needs it first.
type sharedMean struct {
	once sync.Once
	v    []float32
	err  error
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
	w := &SourceRowWriter{m: m, src: src, rows: rows, mean: &sharedMean{}, acc: make([]float64, cols)}
	w.wide, w.raw = newRowCaches()
	return w, nil
}

// Fork returns a writer of the same rows for another goroutine, with
// buffers of its own; the column mean is read once for w and all its forks.
// Writers that run at once read src at once: it must then be safe for
// concurrent use.
func (w *SourceRowWriter) Fork() *SourceRowWriter {
	f := &SourceRowWriter{m: w.m, src: w.src, rows: w.rows, mean: w.mean, acc: make([]float64, len(w.acc))}
	f.wide, f.raw = newRowCaches()
	return f
}

// Row writes into dst, of the base's width, the row m.Rows[i] describes.
// After an error dst holds unspecified values.
func (w *SourceRowWriter) Row(dst []float32, i int) error {
	r := w.m.Rows[i]
	var mean []float32
	if r.Mean != 0 {
		sm := w.mean
		sm.once.Do(func() { sm.v, sm.err = ColumnMeanOf(w.src, w.rows, len(w.acc)) })
		if sm.err != nil {
			return fmt.Errorf("column mean: %w", sm.err)
		}
		mean = sm.v
	}
	var err error
	cols := len(w.acc)
	if bsrc, ok := w.src.(BF16RowSource); ok {
		combineWith(dst, r, mean, w.acc, func(acc []float64, weight float64, old int) {
			row, rerr := w.raw.row(old, 2*cols, 1, bsrc.ReadBF16Rows)
			if rerr != nil {
				err = cmp.Or(err, fmt.Errorf("base row %d: %w", old, rerr))
				return
			}
			bf16.AddScaled(acc, weight, row)
		})
		return err
	}
	combine(dst, r, mean, w.acc, func(old int) []float32 {
		row, rerr := w.wide.row(old, cols, 4, w.src.ReadRows)
		if rerr != nil {
			err = cmp.Or(err, fmt.Errorf("base row %d: %w", old, rerr))
			return make([]float32, cols)
		}
		return row
	})
	return err
}

// meanBlockRows bounds the rows ColumnMeanOf reads at a time.
const meanBlockRows = 256

// ColumnMeanOf is ColumnMean of the rows×cols table src reads, bit for
// bit: the same sums in the same order, a block of rows at a time. The
// next block is read while the last is summed; src is read by one
// goroutine at a time, and by none once ColumnMeanOf returns. A
// BF16RowSource is read as stored and widened as it is summed.
func ColumnMeanOf(src RowSource, rows, cols int) ([]float32, error) {
	sum := make([]float64, cols)
	var err error
	if bsrc, ok := src.(BF16RowSource); ok {
		err = sumBlocks(bsrc.ReadBF16Rows, rows, cols, 2, func(blk []byte) {
			for i := 0; i < len(blk); i += 2 * cols {
				bf16.AddScaled(sum, 1, blk[i:i+2*cols])
			}
		})
	} else {
		err = sumBlocks(src.ReadRows, rows, cols, 1, func(blk []float32) {
			for i := 0; i < len(blk); i += cols {
				for j, v := range blk[i : i+cols] {
					sum[j] += float64(v)
				}
			}
		})
	}
	if err != nil {
		return nil, err
	}
	mean := make([]float32, cols)
	for j, s := range sum {
		mean[j] = float32(s / float64(rows))
	}
	return mean, nil
}

// sumBlocks reads the rows×cols table, per elements of E to a value, a
// block of rows at a time with read, and hands each block to add in
// order. The next block is read, on a goroutine of its own, while add
// takes the last.
func sumBlocks[E any](read func(dst []E, start, end int) error, rows, cols, per int, add func(blk []E)) error {
	blocks := readBlocks(read, rows, cols*per)
	defer blocks.stop()
	for blk := range blocks.read {
		if blk.err != nil {
			return fmt.Errorf("base rows [%d, %d): %w", blk.start, blk.end, blk.err)
		}
		add(blk.rows)
		blocks.free <- blk.rows
	}
	return nil
}

// rowBlock is rows [start, end) of a table, or the error reading them.
type rowBlock[E any] struct {
	rows       []E
	start, end int
	err        error
}

// blockReader reads a table's rows a block at a time, on its own
// goroutine, into two buffers that its reader hands back through free.
type blockReader[E any] struct {
	read <-chan rowBlock[E]
	free chan<- []E
	done chan struct{}
	wg   sync.WaitGroup
}

// readBlocks starts reading rows of width elements each with read.
func readBlocks[E any](read func(dst []E, start, end int) error, rows, width int) *blockReader[E] {
	blocks := make(chan rowBlock[E])
	free := make(chan []E, 2)
	n := min(rows, meanBlockRows) * width
	free <- make([]E, n)
	free <- make([]E, n)
	r := &blockReader[E]{read: blocks, free: free, done: make(chan struct{})}
	r.wg.Go(func() {
		defer close(blocks)
		for start := 0; start < rows; start += meanBlockRows {
			var buf []E
			select {
			case buf = <-free:
			case <-r.done:
				return
			}
			end := min(start+meanBlockRows, rows)
			b := rowBlock[E]{rows: buf[:(end-start)*width], start: start, end: end}
			b.err = read(b.rows, start, end)
			select {
			case blocks <- b:
			case <-r.done:
				return
			}
			if b.err != nil {
				return
			}
		}
	})
	return r
}

// stop ends the reading, at once if it is not done, and waits for it.
func (r *blockReader[E]) stop() {
	close(r.done)
	r.wg.Wait()
}
