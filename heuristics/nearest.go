package heuristics

import (
	"context"
	"math"
	"runtime"
	"sync"

	"github.com/transplant-dev/transplant/internal/fastblas"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// neighbors holds, for each query, up to k keys in order of decreasing
// cosine similarity: Index[q*k+j] is a key row (or -1 when there were fewer
// than k keys) and Sim its similarity.
type neighbors struct {
	K     int
	Index []int32
	Sim   []float32
}

func (nb *neighbors) of(q int) ([]int32, []float32) {
	idx, sim := nb.Index[q*nb.K:(q+1)*nb.K], nb.Sim[q*nb.K:(q+1)*nb.K]
	n := 0
	for n < len(idx) && idx[n] >= 0 {
		n++
	}
	return idx[:n], sim[:n]
}

// gatherNormalized copies the given rows of m into a contiguous table and
// scales each to unit length (zero rows stay zero), so that dot products of
// the results are cosine similarities.
func gatherNormalized(m blas32.General, rows []int) blas32.General {
	out := blas32.General{Rows: len(rows), Cols: m.Cols, Stride: m.Cols, Data: make([]float32, len(rows)*m.Cols)}
	for i, r := range rows {
		dst := row(out, i)
		copy(dst, row(m, r))
		normalize(dst)
	}
	return out
}

func normalize(v []float32) {
	var s float64
	for _, x := range v {
		s += float64(x) * float64(x)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}

// nearest finds, for every row of queries, the k rows of keys with the
// largest dot product (cosine similarity for unit rows). It multiplies
// blocks of queries by blocks of keys so that the similarity matrix never
// exists whole, and keeps a running top k per query. Ties go to the lower
// key row, so the result does not depend on the block sizes or core count.
func nearest(ctx context.Context, queries, keys blas32.General, k int) (*neighbors, error) {
	const qBlock, kBlock = 256, 4096
	nb := &neighbors{K: k, Index: make([]int32, queries.Rows*k), Sim: make([]float32, queries.Rows*k)}
	for i := range nb.Index {
		nb.Index[i] = -1
		nb.Sim[i] = float32(math.Inf(-1))
	}
	impl := fastblas.Float32()
	sims := make([]float32, qBlock*kBlock)
	for q0 := 0; q0 < queries.Rows; q0 += qBlock {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		nq := min(qBlock, queries.Rows-q0)
		for k0 := 0; k0 < keys.Rows; k0 += kBlock {
			nk := min(kBlock, keys.Rows-k0)
			impl.Sgemm(blas.NoTrans, blas.Trans, nq, nk, queries.Cols, 1,
				queries.Data[q0*queries.Stride:], queries.Stride,
				keys.Data[k0*keys.Stride:], keys.Stride, 0, sims, nk)
			parallelRows(nq, func(i int) {
				keepTop(nb.Index[(q0+i)*k:(q0+i+1)*k], nb.Sim[(q0+i)*k:(q0+i+1)*k], sims[i*nk:(i+1)*nk], k0)
			})
		}
	}
	return nb, nil
}

// keepTop merges the similarities of keys k0, k0+1, ... into a top-k list
// kept in decreasing order. Only a strictly larger value displaces an entry,
// which gives ties to the earlier key.
func keepTop(idx []int32, sim []float32, s []float32, k0 int) {
	k := len(idx)
	for j, v := range s {
		if !(v > sim[k-1]) {
			continue
		}
		p := k - 1
		for p > 0 && v > sim[p-1] {
			idx[p], sim[p] = idx[p-1], sim[p-1]
			p--
		}
		idx[p], sim[p] = int32(k0+j), v
	}
}

// parallelRows calls f(i) for i in [0, n) on all cores.
func parallelRows(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				f(i)
			}
		}(w)
	}
	wg.Wait()
}

// softmax returns exp(s/t) normalized, computed stably in float64.
func softmax(s []float32, t float64) []float64 {
	w := make([]float64, len(s))
	if len(s) == 0 {
		return w
	}
	hi := math.Inf(-1)
	for _, v := range s {
		hi = math.Max(hi, float64(v))
	}
	var total float64
	for i, v := range s {
		w[i] = math.Exp((float64(v) - hi) / t)
		total += w[i]
	}
	for i := range w {
		w[i] /= total
	}
	return w
}

// sparsemax is the Euclidean projection of s/t onto the probability
// simplex (Martins & Astudillo, 2016): like softmax, but weak candidates get
// exactly zero weight. s must be in decreasing order, as nearest returns it.
func sparsemax(s []float32, t float64) []float64 {
	w := make([]float64, len(s))
	var cum, tau float64
	for i, v := range s {
		z := float64(v) / t
		cum += z
		if 1+float64(i+1)*z > cum {
			tau = (cum - 1) / float64(i+1)
		}
	}
	for i, v := range s {
		w[i] = math.Max(float64(v)/t-tau, 0)
	}
	return w
}
