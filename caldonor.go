package transplant

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/eval/forward"
	"github.com/transplant-dev/transplant/internal/fastblas"
)

// A donorReader gives calibration a second source of targets: a donor
// model on the new tokenizer, which predicts every token at every
// position, not only where it occurs. Where the base and the donor stand
// at the same byte, a new token's target logit is the donor's
// log-probability for it plus the base's log-normalizer there: the logit
// that gives the token the donor's probability next to the base's own
// logits for the shared tokens. A recut shared token's target (see
// recutRow) takes the place of its own logit and of the other recut
// rows' in that normalizer:
//
//	y_o = log p_donor(o) − log(1 − Σ_r p_donor(r)) + log Σ_{k∉R} exp(logit_k)
//
// r and R ranging over the recut rows, so that with every recut logit at
// its target each gets exactly the donor's probability.
type donorReader struct {
	model *forward.Model
	bos   int            // the donor's BOS id
	head  blas32.General // the base's head rows (old vocabulary), for its log-normalizer
	ids   []int          // new ids of the fitted new rows, in map order
	recut []recutRow     // the recut shared rows, whose columns follow
	// except lists the recut rows' old ids, left out of their normalizer.
	except []int
	// stride: the token after every stride-th new token gives a sample.
	stride int
}

// The donor's samples are the positions after every stride-th new token,
// so that the donor's head, the larger part of its pass with a large
// vocabulary, runs over a part of the text only; its body still reads all
// of it. A fit of width dimensions keeps about donorSamplesPerDim samples
// per dimension (the stride counts the text's new tokens, a few of which
// give no sample: a window's last, a BOS), and at most every
// maxDonorStride-th position is taken: on the shared models (0.9 MB,
// width 192) every 4th position scored as every one on four texts (within
// 0.0002 of the ratio) in half the time, while every 16th lost 0.0008 on
// the dev text and saved no more time, the two bodies' passes then being
// most of it.
const (
	donorSamplesPerDim = 256
	maxDonorStride     = 4
)

// donorStride is the stride for a text of the given new tokens and a head
// of the given width.
func donorStride(tokens, width int) int {
	return max(1, min(maxDonorStride, tokens/(donorSamplesPerDim*max(width, 1))))
}

// A donorBlock is what one window gives the donor's part of the fit: the
// base's states where it meets the donor (rows of states, width of the
// head) and, row for row, the target logits of every fitted token.
type donorBlock struct {
	states  blas32.General
	targets blas32.General // samples × fitted tokens
}

// columns is the number of fitted tokens: the new rows', then the recut
// rows'.
func (d *donorReader) columns() int { return len(d.ids) + len(d.recut) }

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
	width := d.head.Cols
	b := &donorBlock{states: blas32.General{Cols: width, Stride: width}, targets: blas32.General{Cols: d.columns(), Stride: d.columns()}}
	var rows []int
	for k := span.newStart; k < span.newEnd; k++ {
		at := st.pos[k+1] - 1 // the base's position after token k
		if row[k-span.newStart] < 0 || st.pos[k+1] == st.pos[k] || at >= span.end {
			continue // token k has no old ids or no donor row, or lies past the window
		}
		if k%d.stride != 0 {
			continue
		}
		b.states.Data = appendState(b.states.Data, win.states, at-win.start, width)
		b.states.Rows++
		rows = append(rows, row[k-span.newStart])
	}
	if len(rows) == 0 {
		return nil
	}
	v := d.model.Config().VocabSize
	logits := make([]float32, len(rows)*v)
	if err := d.model.LogitsAt(logits, ids, rows); err != nil {
		return fmt.Errorf("donor: %w", err)
	}
	all, rest := logNormalizers(b.states, d.head, d.except)
	b.targets.Rows = len(rows)
	b.targets.Data = make([]float32, len(rows)*d.columns())
	for i := range rows {
		d.targets(b.targets.Data[i*d.columns():(i+1)*d.columns()], logits[i*v:(i+1)*v], all[i], rest[i])
	}
	win.donor = b
	return nil
}

// targets writes one sample's targets into out from the donor's logits
// there (which it overwrites) and the base's log-normalizers over all its
// rows and over all but the recut ones.
func (d *donorReader) targets(out, logits []float32, all, rest float64) {
	for t, id := range d.ids {
		out[t] = logits[id]
	}
	for t, r := range d.recut {
		out[len(d.ids)+t] = logits[r.new]
	}
	z := forward.LogSumExp(logits)
	for t := range d.ids {
		out[t] += float32(all - z)
	}
	if len(d.recut) == 0 {
		return
	}
	mass := 0.0
	for _, y := range out[len(d.ids):] {
		mass += math.Exp(float64(y) - z)
	}
	shift := rest - z - math.Log(max(1-mass, minRest))
	for t := len(d.ids); t < len(out); t++ {
		out[t] += float32(shift)
	}
}

// logNormalizers is log Σ exp over each state's logits under head: over
// every row (all), and over every row but those in except (rest).
func logNormalizers(states, head blas32.General, except []int) (all, rest []float64) {
	logits := make([]float32, states.Rows*head.Rows)
	fastblas.Float32().Sgemm(blas.NoTrans, blas.Trans, states.Rows, head.Rows, states.Cols, 1,
		states.Data, states.Stride, head.Data, head.Stride, 0, logits, head.Rows)
	all, rest = make([]float64, states.Rows), make([]float64, states.Rows)
	for i := range all {
		row := logits[i*head.Rows : (i+1)*head.Rows]
		all[i] = forward.LogSumExp(row) // row is now exp(logit − max)
		if len(except) == 0 {
			rest[i] = all[i]
			continue
		}
		var sum, out float64
		for _, v := range row {
			sum += float64(v)
		}
		for _, o := range except {
			out += float64(row[o])
		}
		rest[i] = all[i] + math.Log(max(1-out/sum, math.SmallestNonzeroFloat64))
	}
	return all, rest
}

// donorSums accumulates the donor's part of the fit, in window order so
// that the sums do not depend on the number of cores: the Gram matrix of
// the states, SᵀS, and Sᵀt for every fitted token (width × tokens).
type donorSums struct {
	gram    []float64
	weights []float32
	block   []float32
	samples int
	width   int
}

func newDonorSums(width, tokens int) *donorSums {
	return &donorSums{width: width, gram: make([]float64, width*width), weights: make([]float32, width*tokens), block: make([]float32, width*width)}
}

func (s *donorSums) add(b *donorBlock) {
	n, w, t := b.states.Rows, b.states.Cols, b.targets.Cols
	if n == 0 {
		return
	}
	impl := fastblas.Float32()
	impl.Sgemm(blas.Trans, blas.NoTrans, w, t, n, 1, b.states.Data, b.states.Stride, b.targets.Data, b.targets.Stride, 1, s.weights, t)
	impl.Sgemm(blas.Trans, blas.NoTrans, w, w, n, 1, b.states.Data, b.states.Stride, b.states.Data, b.states.Stride, 0, s.block, w)
	for i, v := range s.block {
		s.gram[i] += float64(v)
	}
	s.samples += n
}

// meanSquaredNorm is the mean squared norm of the states summed so far.
func (s *donorSums) meanSquaredNorm() float64 {
	if s.samples == 0 {
		return 1
	}
	return trace(s.gram, s.width) / float64(s.samples)
}

// column copies token t's Sᵀt into dst.
func (s *donorSums) column(dst []float32, t int) {
	tokens := len(s.weights) / len(dst)
	for i := range dst {
		dst[i] = s.weights[i*tokens+t]
	}
}

// donorReader prepares to read the calibration text with the donor too,
// for the new rows (when newRows) and the recut ones.
func (s *Session) donorReader(head blas32.General, newRows bool, recut []recutRow) (*donorReader, error) {
	if s.donor == nil {
		return nil, fmt.Errorf("transplant: calibration: %w: fitting the head to the donor needs one (--donor)", ErrNoDonorModel)
	}
	m, err := s.forwardOf(s.donor, s.in.Donor)
	if err != nil {
		return nil, err
	}
	bos := m.Config().BOS
	if bos < 0 {
		bos = s.newTok.Specials().BOS
	}
	d := &donorReader{model: m, bos: bos, head: head, recut: recut, stride: 1}
	v := m.Config().VocabSize
	for _, t := range s.targets {
		if t.NewID >= v {
			return nil, fmt.Errorf("transplant: donor %s: %w: new id %d outside its %d logits", s.in.Donor, ErrVocabularyMismatch, t.NewID, v)
		}
		if newRows {
			d.ids = append(d.ids, t.NewID)
		}
	}
	for _, r := range recut {
		if r.new >= v {
			return nil, fmt.Errorf("transplant: donor %s: %w: new id %d outside its %d logits", s.in.Donor, ErrVocabularyMismatch, r.new, v)
		}
		d.except = append(d.except, r.old)
	}
	return d, nil
}

// calDonor says what the donor reads the text for: the recut rows (none
// with o.KeepRecut), and the new rows, whose fits take weight of the
// donor's (1 with o.Donor, none with o.BaseOnly). The reader is nil when
// there is nothing to read for, or no donor model that runs.
func (s *Session) calDonor(st *calStream, head blas32.General, o CalibrationOptions) (*donorReader, []recutRow, float64, error) {
	runs, weight := s.donorRuns(), 0.0
	switch {
	case o.Donor:
		weight = 1
	case !runs:
		return nil, nil, 0, nil
	case !o.BaseOnly:
		weight = defaultDonorWeight
	}
	var recut []recutRow
	if !o.KeepRecut && runs && !o.BaseOnly {
		recut = s.recutRowsOf(st, o.recutOccurrences)
	}
	if weight == 0 && len(recut) == 0 {
		return nil, nil, 0, nil
	}
	d, err := s.donorReader(head, weight > 0, recut)
	if d != nil {
		d.stride = donorStride(len(st.newIDs), head.Cols)
	}
	return d, recut, weight, err
}
