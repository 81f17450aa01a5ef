package heuristics

import (
	"context"
	"fmt"
	"math/rand/v2"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"

	"github.com/transplant-dev/transplant/internal/fastblas"
)

// noiseFactor is Lᵀ for L the Cholesky factor of Scale·Σ, row-major, and
// the table it was computed from.
type noiseFactor struct {
	lt    []float32
	table blas32.General
}

// fits reports whether f was computed from base itself: the same memory,
// not merely equal values.
func (f *noiseFactor) fits(base blas32.General) bool {
	t := f.table
	return t.Rows == base.Rows && t.Cols == base.Cols && t.Stride == base.Stride &&
		len(t.Data) > 0 && len(base.Data) > 0 && &t.Data[0] == &base.Data[0]
}

// factorNoise factors scale·Σ for the rows of base, or reports that the
// scaled covariance is not positive definite.
func factorNoise(base blas32.General, scale float64) (*noiseFactor, bool) {
	l, ok := choleskyOfCovariance(base, ColumnMean(base), scale)
	if !ok {
		return nil, false
	}
	d := base.Cols
	lt := make([]float32, d*d)
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			lt[j*d+i] = float32(l.At(i, j))
		}
	}
	return &noiseFactor{lt: lt, table: base}, true
}

// applyNoise adds each noisy row's draw, z·Lᵀ with z standard normal
// seeded by the row's id, in blocks of noiseBlock rows.
func (m *Map) applyNoise(ctx context.Context, dst, base blas32.General) error {
	var rows []int
	for i, r := range m.Rows {
		if r.Noise {
			rows = append(rows, i)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	f := m.Noise.factor
	if f == nil || !f.fits(base) {
		var ok bool
		if f, ok = factorNoise(base, m.Noise.Scale); !ok {
			return fmt.Errorf("%w: the covariance of the base rows, times %g, is not positive definite: no noise can be drawn", ErrMap, m.Noise.Scale)
		}
	}
	const noiseBlock = 1024
	d := base.Cols
	z := make([]float32, noiseBlock*d)
	c := make([]float32, noiseBlock*d)
	impl := fastblas.Float32()
	for start := 0; start < len(rows); start += noiseBlock {
		if err := ctx.Err(); err != nil {
			return err
		}
		block := rows[start:min(start+noiseBlock, len(rows))]
		for k, i := range block {
			rng := rand.New(rand.NewPCG(m.Noise.Seed, uint64(m.Rows[i].ID)))
			for j := 0; j < d; j++ {
				z[k*d+j] = float32(rng.NormFloat64())
			}
			copy(c[k*d:(k+1)*d], row(dst, i))
		}
		n := len(block)
		impl.Sgemm(blas.NoTrans, blas.NoTrans, n, d, d, 1, z[:n*d], d, f.lt, d, 1, c[:n*d], d)
		for k, i := range block {
			copy(row(dst, i), c[k*d:(k+1)*d])
		}
	}
	return nil
}

// covariance returns the d×d covariance of the rows of m around mean,
// computed blockwise with a float32 rank-k update per block and a float64
// running sum, so that no float64 copy of the table is needed.
func covariance(m blas32.General, mean []float32) *mat.SymDense {
	const block = 2048
	d := m.Cols
	acc := make([]float64, d*d)
	centered := make([]float32, block*d)
	part := make([]float32, d*d)
	impl := fastblas.Float32()
	for start := 0; start < m.Rows; start += block {
		n := min(block, m.Rows-start)
		for i := 0; i < n; i++ {
			src := row(m, start+i)
			out := centered[i*d : (i+1)*d]
			for j := range out {
				out[j] = src[j] - mean[j]
			}
		}
		impl.Ssyrk(blas.Upper, blas.Trans, d, n, 1, centered[:n*d], d, 0, part, d)
		for i := 0; i < d; i++ {
			for j := i; j < d; j++ {
				acc[i*d+j] += float64(part[i*d+j])
			}
		}
	}
	inv := 1 / float64(m.Rows)
	for i := range acc {
		acc[i] *= inv
	}
	return mat.NewSymDense(d, acc)
}

// choleskyOfCovariance factors scale·Σ. A covariance estimated from fewer
// rows than dimensions, or with dead dimensions, is singular; a jitter of a
// millionth of the mean variance on the diagonal is tried before giving up.
func choleskyOfCovariance(m blas32.General, mean []float32, scale float64) (*mat.TriDense, bool) {
	if scale <= 0 {
		return nil, false
	}
	cov := covariance(m, mean)
	cov.ScaleSym(scale, cov)
	d := cov.SymmetricDim()
	var trace float64
	for i := 0; i < d; i++ {
		trace += cov.At(i, i)
	}
	for _, jitter := range []float64{0, 1e-6, 1e-3} {
		c := mat.NewSymDense(d, nil)
		c.CopySym(cov)
		for i := 0; i < d; i++ {
			c.SetSym(i, i, c.At(i, i)+jitter*trace/float64(d))
		}
		var ch mat.Cholesky
		if ch.Factorize(c) {
			var l mat.TriDense
			ch.LTo(&l)
			return &l, true
		}
	}
	return nil, false
}
