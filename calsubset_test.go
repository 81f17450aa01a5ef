package transplant

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

// A subset's logits are the dot products of each state with each of its
// rows, bias column included, over more rows than one block gathers.
func TestHeadSubsetLogits(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const hidden, vocab, states = 9, 700, 11
	head := blas32.General{Rows: vocab, Cols: hidden + 1, Stride: hidden + 1, Data: make([]float32, vocab*(hidden+1))}
	for i := range head.Data {
		head.Data[i] = float32(rng.NormFloat64())
	}
	h := blas32.General{Rows: states, Cols: hidden, Stride: hidden, Data: make([]float32, states*hidden)}
	for i := range h.Data {
		h.Data[i] = float32(rng.NormFloat64())
	}
	var s blas32.General // the states with the bias column's 1
	for i := range states {
		s.Data = appendState(s.Data, h, i, head.Cols)
	}
	s.Rows, s.Cols, s.Stride = states, head.Cols, head.Cols
	var ids []int
	for range 2 * subsetBlock {
		ids = append(ids, rng.IntN(vocab))
	}
	hs := newHeadSubset(append(ids, ids[:10]...))
	if len(hs.ids) > len(ids) || len(hs.col) != len(hs.ids) {
		t.Fatalf("%d ids, %d columns from %d distinct draws at most", len(hs.ids), len(hs.col), len(ids))
	}
	got := hs.logits(s, head)
	cols := hs.cols(ids)
	for i := range states {
		for j, id := range ids {
			want := dotRow(h, i, head, id)
			if g := float64(got[i*len(hs.ids)+cols[j]]); math.Abs(g-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Fatalf("state %d, row %d: logit %g, want %g", i, id, g, want)
			}
		}
	}
}
