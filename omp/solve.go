package omp

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas32"
)

// Solve approximates every row x of targets by a sparse combination of
// rows of dict (the anchors, or atoms): it picks, one at a time, the
// anchor most correlated with the residual and refits the coefficients of
// all anchors picked so far by least squares, until Options.K anchors are
// used, the residual falls to Options.Tolerance, or no anchor can lower it.
// dict and targets must have the same number of columns.
func Solve(ctx context.Context, dict, targets blas32.General, opts Options) (*Solution, error) {
	if err := checkTables(dict, targets); err != nil {
		return nil, err
	}
	o, err := opts.resolved(dict.Rows)
	if err != nil {
		return nil, err
	}
	sol := newSolution(targets.Rows, o.K)
	if targets.Rows == 0 {
		return sol, nil
	}
	if o.Float64 {
		err = run(ctx, kernels64(), dict, targets, o, sol)
	} else {
		err = run(ctx, kernels32(), dict, targets, o, sol)
	}
	if err != nil {
		return nil, err
	}
	return sol, nil
}

func run[F float](ctx context.Context, k kernels[F], dict, targets blas32.General, o Options, sol *Solution) error {
	var zero F
	batch, capacity, err := plan(dict.Rows, dict.Cols, targets.Rows, int64(sizeOf(zero)), o)
	if err != nil {
		return err
	}
	return newEngine(k, dict, o, batch, capacity).solve(ctx, targets, sol)
}

func sizeOf[F float](F) int {
	if _, ok := any(F(0)).(float32); ok {
		return 4
	}
	return 8
}

// minFullCacheBatch is the smallest batch worth giving a cache that holds
// every Gram column: smaller batches make for thin matrix products.
const minFullCacheBatch = 256

// plan sizes the batch of targets in flight and the Gram cache (in
// columns) to fit o.MaxMemory. Every column a batch's supports use must fit
// at once, so the cache holds at least min(anchors, batch·K) columns. A
// cache of all the anchors' columns never recomputes one, so it is
// preferred when it leaves room for a reasonable batch.
func plan(anchors, hidden, targets int, size int64, o Options) (batch, capacity int, err error) {
	col := int64(anchors) * size
	perTarget := col + int64(o.K*(o.K+1)/2+o.K)*8
	fixed := int64(fillBatch)*(col+int64(hidden)*size) + int64(o.Threads)*col
	budget := o.MaxMemory - fixed
	if o.BatchSize > 0 {
		batch = min(o.BatchSize, targets)
		capacity = int(min(int64(anchors), (budget-int64(batch)*perTarget)/col))
		if need := min(anchors, batch*o.K); capacity < need {
			return 0, 0, fmt.Errorf("omp: a batch of %d targets needs %d MiB for its correlations and Gram columns, MaxMemory allows %d MiB: %w",
				batch, (int64(batch)*perTarget+int64(need)*col+fixed)>>20, o.MaxMemory>>20, ErrMemory)
		}
		return batch, capacity, nil
	}
	if rest := budget - int64(anchors)*col; rest >= int64(min(targets, minFullCacheBatch))*perTarget {
		return int(min(int64(targets), rest/perTarget)), anchors, nil
	}
	batch = int(min(int64(targets), budget/(perTarget+int64(o.K)*col)))
	if batch < 1 {
		return 0, 0, fmt.Errorf("omp: one target with %d anchors needs %d MiB, MaxMemory allows %d MiB: %w",
			anchors, (perTarget+int64(o.K)*col+fixed)>>20, o.MaxMemory>>20, ErrMemory)
	}
	capacity = int(min(int64(anchors), (budget-int64(batch)*perTarget)/col))
	return batch, capacity, nil
}

// checkTables validates shapes and values, so that the solver can trust
// its inputs.
func checkTables(dict, targets blas32.General) error {
	if dict.Rows < 1 || dict.Cols < 1 {
		return fmt.Errorf("omp: dictionary is %d×%d: %w", dict.Rows, dict.Cols, ErrShape)
	}
	if targets.Cols != dict.Cols {
		return fmt.Errorf("omp: targets have %d columns, anchors %d: %w", targets.Cols, dict.Cols, ErrShape)
	}
	if err := checkMatrix("dictionary", dict); err != nil {
		return err
	}
	return checkMatrix("targets", targets)
}

func checkMatrix(name string, m blas32.General) error {
	if err := checkShape(name, m); err != nil {
		return err
	}
	return checkFinite(name, m, nil)
}

func checkShape(name string, m blas32.General) error {
	if m.Rows < 0 || m.Cols < 0 || (m.Rows > 0 && (m.Stride < m.Cols || len(m.Data) < (m.Rows-1)*m.Stride+m.Cols)) {
		return fmt.Errorf("omp: %s: %d×%d with stride %d over %d values: %w", name, m.Rows, m.Cols, m.Stride, len(m.Data), ErrShape)
	}
	return nil
}

// checkFinite reports the first NaN or infinity in the listed rows of m,
// or in all of them when rows is nil.
func checkFinite(name string, m blas32.General, rows []int) error {
	n := m.Rows
	if rows != nil {
		n = len(rows)
	}
	for k := range n {
		i := k
		if rows != nil {
			i = rows[k]
		}
		for c, v := range m.Data[i*m.Stride : i*m.Stride+m.Cols] {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("omp: %s: row %d, column %d is %v: %w", name, i, c, v, ErrNonFinite)
			}
		}
	}
	return nil
}
