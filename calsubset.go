package transplant

import (
	"slices"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/internal/fastblas"
)

// A headSubset is a fixed set of the base head's rows whose logits a
// calibration step takes at many states. One product per window, over
// blocks of the rows gathered from the head, replaces a dot product per
// state and row: the base's projection of the recut rows (recutProjection)
// reads the old tokens each recut row begins at every sample, which one
// dot product at a time took 202 of the 349 s a calibration of a 128k ×
// 4,096 model onto GPT-2's tokenizer spent (bench/calibrate's large case;
// 138 s after).
type headSubset struct {
	ids []int       // head rows, ascending
	col map[int]int // head row: its column of the logits
}

// subsetBlock is how many head rows headSubset gathers for one product.
const subsetBlock = 256

// newHeadSubset is the subset of the given head rows (repeats allowed).
func newHeadSubset(ids []int) headSubset {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	hs := headSubset{ids: ids, col: make(map[int]int, len(ids))}
	for c, id := range ids {
		hs.col[id] = c
	}
	return hs
}

// cols returns the columns of ids, which must be in the subset.
func (hs headSubset) cols(ids []int) []int {
	c := make([]int, len(ids))
	for i, id := range ids {
		c[i] = hs.col[id]
	}
	return c
}

// logits returns the logits of the subset's rows at every row of states,
// whose width is head's (a head with a bias column takes states with a 1
// last), states.Rows × len(hs.ids), row-major.
func (hs headSubset) logits(states, head blas32.General) []float32 {
	n, width := len(hs.ids), head.Cols
	out := make([]float32, states.Rows*n)
	if states.Rows == 0 || n == 0 {
		return out
	}
	rows := make([]float32, min(n, subsetBlock)*width)
	for b0 := 0; b0 < n; b0 += subsetBlock {
		b1 := min(n, b0+subsetBlock)
		for i, id := range hs.ids[b0:b1] {
			copy(rows[i*width:(i+1)*width], head.Data[id*head.Stride:id*head.Stride+width])
		}
		fastblas.Float32().Sgemm(blas.NoTrans, blas.Trans, states.Rows, b1-b0, width, 1,
			states.Data, states.Stride, rows, width, 0, out[b0:], n)
	}
	return out
}
