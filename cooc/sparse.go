package cooc

import (
	"context"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
)

// csr is a sparse matrix in compressed sparse rows: the entries of row i
// are col[ptr[i]:ptr[i+1]] (increasing) and val[ptr[i]:ptr[i+1]].
type csr struct {
	rows, cols int
	ptr        []int
	col        []int32
	val        []float32
}

// at returns entry (i, j).
func (m *csr) at(i, j int) float64 {
	cols := m.col[m.ptr[i]:m.ptr[i+1]]
	k := sort.Search(len(cols), func(k int) bool { return int(cols[k]) >= j })
	if k < len(cols) && int(cols[k]) == j {
		return float64(m.val[m.ptr[i]+k])
	}
	return 0
}

// rowBlock is how many rows a worker of mul takes at a time.
const rowBlock = 64

// mul sets y = m·x. Each row of y is summed by one goroutine in column
// order, so the result does not depend on the number of cores.
func (m *csr) mul(ctx context.Context, y, x blas64.General) error {
	var next atomic.Int64
	return parallel(ctx, func() bool {
		lo := int(next.Add(rowBlock)) - rowBlock
		if lo >= m.rows {
			return false
		}
		for i := lo; i < min(lo+rowBlock, m.rows); i++ {
			dst := y.Data[i*y.Stride : i*y.Stride+y.Cols]
			clear(dst)
			for k := m.ptr[i]; k < m.ptr[i+1]; k++ {
				j := int(m.col[k])
				floats.AddScaled(dst, float64(m.val[k]), x.Data[j*x.Stride:j*x.Stride+x.Cols])
			}
		}
		return true
	})
}

// colBlocks cuts the columns into ranges of about equal entries, more
// ranges than cores so that they balance; mulT hands them out.
func (m *csr) colBlocks() []int {
	perCol := make([]int, m.cols)
	for _, j := range m.col {
		perCol[j]++
	}
	parts := 8 * runtime.GOMAXPROCS(0)
	target := max(len(m.col)/parts, 1)
	bounds := []int{0}
	sum := 0
	for j, n := range perCol {
		sum += n
		if sum >= target && j+1 < m.cols {
			bounds = append(bounds, j+1)
			sum = 0
		}
	}
	return append(bounds, m.cols)
}

// mulT sets z = mᵀ·x. A goroutine owns a range of columns of m (rows of
// z) and adds rows of x into them in row order, so the result does not
// depend on the number of cores.
func (m *csr) mulT(ctx context.Context, z, x blas64.General, blocks []int) error {
	var next atomic.Int64
	return parallel(ctx, func() bool {
		b := int(next.Add(1)) - 1
		if b+1 >= len(blocks) {
			return false
		}
		lo, hi := blocks[b], blocks[b+1]
		for j := lo; j < hi; j++ {
			clear(z.Data[j*z.Stride : j*z.Stride+z.Cols])
		}
		for i := range m.rows {
			cols := m.col[m.ptr[i]:m.ptr[i+1]]
			k := sort.Search(len(cols), func(k int) bool { return int(cols[k]) >= lo })
			src := x.Data[i*x.Stride : i*x.Stride+x.Cols]
			for ; k < len(cols) && int(cols[k]) < hi; k++ {
				j := int(cols[k])
				floats.AddScaled(z.Data[j*z.Stride:j*z.Stride+z.Cols], float64(m.val[m.ptr[i]+k]), src)
			}
		}
		return true
	})
}

// parallel runs step on every core until it returns false or ctx is
// done.
func parallel(ctx context.Context, step func() bool) error {
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for ctx.Err() == nil && step() {
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}
