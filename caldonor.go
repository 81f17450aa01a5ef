package transplant

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/eval/forward"
	"github.com/transplant-dev/transplant/internal/fastblas"
)

// A donorReader gives calibration a second source of targets: a donor
// model on the new tokenizer, which predicts every new token at every
// position, not only where it occurs. Where the base and the donor stand
// at the same byte, a new token's target logit is the donor's
// log-probability for it plus the base's log-normalizer there: the logit
// that gives the token the donor's probability next to the base's own
// logits for the shared tokens.
type donorReader struct {
	model *forward.Model
	bos   int            // the donor's BOS id
	head  blas32.General // the base's head rows (old vocabulary), for its log-normalizer
	ids   []int          // new ids of the fitted rows, in map order
}

// A donorBlock is what one window gives the donor's part of the fit: the
// base's states where it meets the donor (rows of states, width of the
// head) and, row for row, the target logits of every fitted token.
type donorBlock struct {
	states  blas32.General
	targets blas32.General // samples × fitted tokens
}

// read runs the donor over the new ids of win's span and fills win.donor.
func (d *donorReader) read(st *calStream, span calSpan, win *calWindow) error {
	// row[k] is token k's row of the donor's logits; a chunk's start has
	// none when the donor has no BOS.
	var ids []int
	row := make([]int, span.newEnd-span.newStart)
	for k := range row {
		id := st.newIDs[span.newStart+k]
		if id < 0 {
			id = d.bos
		}
		row[k] = -1
		if id >= 0 {
			row[k], ids = len(ids), append(ids, id)
		}
	}
	v := d.model.Config().VocabSize
	logits := make([]float32, len(ids)*v)
	if err := d.model.Logits(logits, ids); err != nil {
		return fmt.Errorf("donor: %w", err)
	}
	width := d.head.Cols
	b := &donorBlock{states: blas32.General{Cols: width, Stride: width}, targets: blas32.General{Cols: len(d.ids), Stride: len(d.ids)}}
	var rows []int
	for k := span.newStart; k < span.newEnd; k++ {
		at := st.pos[k+1] - 1 // the base's position after token k
		if row[k-span.newStart] < 0 || st.pos[k+1] == st.pos[k] || at >= span.end {
			continue // token k has no old ids or no donor row, or lies past the window
		}
		b.states.Data = appendState(b.states.Data, win.states, at-win.start, width)
		b.states.Rows++
		rows = append(rows, row[k-span.newStart])
	}
	if len(rows) == 0 {
		return nil
	}
	norms := logNormalizers(b.states, d.head)
	b.targets.Rows = len(rows)
	b.targets.Data = make([]float32, len(rows)*len(d.ids))
	for i, r := range rows {
		row := logits[r*v : (r+1)*v]
		out := b.targets.Data[i*len(d.ids) : (i+1)*len(d.ids)]
		for t, id := range d.ids {
			out[t] = row[id]
		}
		shift := float32(norms[i] - forward.LogSumExp(row)) // which overwrites row
		for t := range out {
			out[t] += shift
		}
	}
	win.donor = b
	return nil
}

// logNormalizers is log Σ exp over each state's logits under head.
func logNormalizers(states, head blas32.General) []float64 {
	logits := make([]float32, states.Rows*head.Rows)
	fastblas.Float32().Sgemm(blas.NoTrans, blas.Trans, states.Rows, head.Rows, states.Cols, 1,
		states.Data, states.Stride, head.Data, head.Stride, 0, logits, head.Rows)
	out := make([]float64, states.Rows)
	for i := range out {
		out[i] = forward.LogSumExp(logits[i*head.Rows : (i+1)*head.Rows])
	}
	return out
}

// donorSums accumulates the donor's part of the fit, in window order so
// that the sums do not depend on the number of cores: the Gram matrix of
// the states, SᵀS, and Sᵀt for every fitted token (width × tokens).
type donorSums struct {
	gram    []float64
	weights []float32
	block   []float32
	samples int
}

func newDonorSums(width, tokens int) *donorSums {
	return &donorSums{gram: make([]float64, width*width), weights: make([]float32, width*tokens), block: make([]float32, width*width)}
}

func (s *donorSums) add(b *donorBlock) {
	n, w, t := b.states.Rows, b.states.Cols, b.targets.Cols
	impl := fastblas.Float32()
	impl.Sgemm(blas.Trans, blas.NoTrans, w, t, n, 1, b.states.Data, b.states.Stride, b.targets.Data, b.targets.Stride, 1, s.weights, t)
	impl.Sgemm(blas.Trans, blas.NoTrans, w, w, n, 1, b.states.Data, b.states.Stride, b.states.Data, b.states.Stride, 0, s.block, w)
	for i, v := range s.block {
		s.gram[i] += float64(v)
	}
	s.samples += n
}

// column copies token t's Sᵀt into dst.
func (s *donorSums) column(dst []float32, t int) {
	tokens := len(s.weights) / len(dst)
	for i := range dst {
		dst[i] = s.weights[i*tokens+t]
	}
}
