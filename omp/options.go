package omp

import (
	"errors"
	"fmt"
	"runtime"
)

// Defaults for Options fields left at zero.
const (
	DefaultK         = 64
	DefaultMaxMemory = 4 << 30
)

// Sentinel errors callers can branch on with errors.Is.
var (
	// ErrShape reports tables whose sizes do not fit together, or an index
	// outside its table.
	ErrShape = errors.New("shape mismatch")
	// ErrNonFinite reports a NaN or infinite value in an input table.
	ErrNonFinite = errors.New("non-finite value")
	// ErrOptions reports an Options field out of range.
	ErrOptions = errors.New("bad options")
	// ErrMemory reports a MaxMemory too small for one target's working set.
	ErrMemory = errors.New("memory budget too small")
)

// Options tune Solve, SolveFullCorrelation and Method. The zero value
// asks for the defaults.
type Options struct {
	// K is the most anchors a target may use. Zero means DefaultK. A K
	// larger than the number of anchors is lowered to it.
	K int

	// Tolerance stops a target early once its residual is small relative
	// to the target: ‖x − Σγ_j d_j‖ ≤ Tolerance·‖x‖. Zero disables the test.
	// scikit-learn's tol is the absolute squared norm, (Tolerance·‖x‖)².
	Tolerance float64

	// Normalize selects by the correlation of the residual with unit-norm
	// anchors, |⟨r, d_j⟩|/‖d_j‖, instead of |⟨r, d_j⟩|. The coefficients
	// stay those of the anchors as given. See the package documentation.
	Normalize bool

	// Float64 screens correlations in float64 instead of float32: twice
	// the memory and about twice the time. The choice of each atom and the
	// coefficients are computed the same way in both precisions (see the
	// package documentation), so this mostly matters for targets whose
	// residual gets below float32 resolution.
	Float64 bool

	// BatchSize is the number of targets in flight at once. Each holds its
	// correlations with every anchor. Zero sizes batches from MaxMemory.
	BatchSize int

	// MaxMemory bounds, in bytes, the memory for the correlations of a
	// batch of targets and the cache of Gram columns, which dominate the
	// working set. Copies of the input tables come on top. Zero means
	// DefaultMaxMemory.
	MaxMemory int64

	// Threads is the number of goroutines that advance targets. Zero means
	// GOMAXPROCS. Matrix products use the BLAS's own threads.
	Threads int

	// Progress, if set, is called from a single goroutine with the number
	// of targets finished so far.
	Progress func(done, total int) `json:"-"`
}

// withDefaults returns o with the defaults that do not depend on the
// problem or the machine filled in: K and MaxMemory.
func (o Options) withDefaults() Options {
	if o.K == 0 {
		o.K = DefaultK
	}
	if o.MaxMemory == 0 {
		o.MaxMemory = DefaultMaxMemory
	}
	return o
}

// resolved returns o with defaults filled in for a problem with the given
// number of anchors, or an error naming the bad field.
func (o Options) resolved(anchors int) (Options, error) {
	if o.K < 0 {
		return o, fmt.Errorf("omp: K = %d: %w", o.K, ErrOptions)
	}
	o = o.withDefaults()
	o.K = min(o.K, anchors)
	if o.Tolerance < 0 || o.Tolerance != o.Tolerance {
		return o, fmt.Errorf("omp: Tolerance = %v: %w", o.Tolerance, ErrOptions)
	}
	if o.BatchSize < 0 {
		return o, fmt.Errorf("omp: BatchSize = %d: %w", o.BatchSize, ErrOptions)
	}
	if o.MaxMemory < 0 {
		return o, fmt.Errorf("omp: MaxMemory = %d: %w", o.MaxMemory, ErrOptions)
	}
	if o.Threads < 0 {
		return o, fmt.Errorf("omp: Threads = %d: %w", o.Threads, ErrOptions)
	}
	if o.Threads == 0 {
		o.Threads = runtime.GOMAXPROCS(0)
	}
	return o, nil
}
