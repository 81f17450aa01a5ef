package heuristics

import (
	"context"
	"math/rand/v2"

	"github.com/transplant-dev/transplant/internal/fastblas"
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"
)

// DefaultRandnScale is the factor on the covariance that transformers'
// mean_resizing uses (1e-9): new rows land very close to the mean, with just
// enough spread to tell them apart.
const DefaultRandnScale = 1e-9

// Randn draws every row from a normal distribution with the mean of the base
// rows and their covariance times Scale. When the scaled covariance is not
// positive definite, even after a small diagonal jitter, it falls back to
// the mean and says so in the counts.
type Randn struct {
	Scale float64
}

// Name implements Method.
func (Randn) Name() string { return "randn" }

// Build implements Method.
func (r Randn) Build(ctx context.Context, p *Problem, dst blas32.General) (Counts, error) {
	if err := p.check(dst, false); err != nil {
		return nil, err
	}
	mean := ColumnMean(p.Base)
	chol, ok := choleskyOfCovariance(p.Base, mean, r.Scale)
	if !ok {
		for i := 0; i < dst.Rows; i++ {
			copy(row(dst, i), mean)
		}
		p.progress(dst.Rows)
		return Counts{"mean (covariance not positive definite)": dst.Rows}, nil
	}
	if err := sampleRows(ctx, p, chol, mean, dst); err != nil {
		return nil, err
	}
	return Counts{"randn": dst.Rows}, nil
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

// sampleRows sets dst = mean + Z·Lᵀ where row i of Z holds standard normal
// draws seeded by the target's new id, so that a token's row does not depend
// on which other tokens are built with it.
func sampleRows(ctx context.Context, p *Problem, l *mat.TriDense, mean []float32, dst blas32.General) error {
	d := len(mean)
	lt := make([]float32, d*d) // Lᵀ, row-major
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			lt[j*d+i] = float32(l.At(i, j))
		}
	}
	const block = 1024
	z := make([]float32, block*d)
	impl := fastblas.Float32()
	for start := 0; start < dst.Rows; start += block {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(block, dst.Rows-start)
		for i := 0; i < n; i++ {
			rng := rand.New(rand.NewPCG(p.Seed, uint64(p.Targets[start+i].NewID)))
			for j := 0; j < d; j++ {
				z[i*d+j] = float32(rng.NormFloat64())
			}
			copy(row(dst, start+i), mean)
		}
		impl.Sgemm(blas.NoTrans, blas.NoTrans, n, d, d, 1, z[:n*d], d, lt, d, 1, dst.Data[start*dst.Stride:], dst.Stride)
		p.progress(start + n)
	}
	return nil
}
