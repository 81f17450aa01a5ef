package omp

import (
	"context"
	"fmt"
	"math"
	"time"
	"unsafe"

	"gonum.org/v1/gonum/blas/blas32"
)

const (
	// fillBatch is the most Gram columns, or rebased targets, one matrix
	// product computes.
	fillBatch = 256
	// chunk is the length of the pieces the correlation update works on:
	// short enough to stay in cache, and under OpenBLAS's threshold for
	// threading an axpy (10000), so that workers do not fight over its
	// threads.
	chunk = 8192
)

// engine runs Batch-OMP in precision F over one dictionary.
//
// Targets advance in batches. A batch starts with one matrix product, the
// correlations α⁰ = R x of every target with every screening row R_j
// (the anchors, normalized when Options.Normalize). After t steps a
// target's correlations with its residual are α⁰ − Σ_s γ_s g_s, where g_s
// = R d_s is the Gram column of a chosen atom s. Gram columns come from a
// cache shared by all targets; a target whose next step needs a column
// the cache lacks waits for the end of the round, when the columns every
// waiting target needs are computed by one matrix product. A target with
// every column it needs at hand runs on, so once the cache is warm a
// target does all its steps in one go while its columns are hot.
//
// The screen is float32 (or float64) arithmetic with cancellation: when a
// target's coefficients are large next to its residual, the subtraction
// loses digits. Every choice is therefore checked against a rigorous bound
// on the rounding error (errorScale). When another anchor comes within
// the bound of the best, the contenders' correlations are recomputed
// exactly from the residual. When the bound swamps the correlations
// themselves, the target waits for a rebase: its base correlations are
// recomputed directly from its current residual, R r, batched with the
// other waiting targets into one matrix product, after which the error
// scales with the residual instead of with the coefficients.
type engine[F float] struct {
	k   kernels[F]
	opt Options
	d   *dict
	n   int // anchors
	hid int // hidden size

	rows, atoms  []F // n×hid, row stride hid or the dictionary's stride
	rowStride    int
	atomStride   int
	rowNorm      []float64 // ‖R_j‖ in exact arithmetic
	rowNormMax   float64
	norm         []float64 // ‖d_j‖
	roundingBase float64   // (γ_hid + 3u)·1.1, see errorScale

	batch   int
	cache   *gramCache[F]
	alpha0  []F
	xbuf    []F
	lbuf    []float64
	zbuf    []float64
	bbuf    []float64
	tgs     []target
	fillIn  []F
	fillOut []F
	mark    []bool
	workers []*worker[F]
	stats   Stats
}

func newEngine[F float](k kernels[F], dct blas32.General, opt Options, batch, capacity int) *engine[F] {
	n, hid, K := dct.Rows, dct.Cols, opt.K
	e := &engine[F]{
		k: k, opt: opt, n: n, hid: hid, batch: batch,
		d:       &dict{data: dct.Data, stride: dct.Stride, cols: hid, norm2: make([]float64, n), dot: dsdot()},
		rowNorm: make([]float64, n),
		norm:    make([]float64, n),
		cache:   newGramCache[F](n, capacity),
		alpha0:  make([]F, batch*n),
		lbuf:    make([]float64, batch*K*(K+1)/2),
		zbuf:    make([]float64, batch*K),
		bbuf:    make([]float64, batch*K),
		tgs:     make([]target, batch),
		fillIn:  make([]F, fillBatch*hid),
		fillOut: make([]F, fillBatch*n),
		mark:    make([]bool, n),
	}
	for j := range n {
		e.d.norm2[j] = dot64(e.d.row(j), e.d.row(j))
		e.norm[j] = math.Sqrt(e.d.norm2[j])
	}
	e.atoms, e.atomStride = asFloat[F](dct.Data, dct.Stride, n, hid)
	e.rows, e.rowStride = e.atoms, e.atomStride
	copy(e.rowNorm, e.norm)
	if opt.Normalize {
		e.rows, e.rowStride = make([]F, n*hid), hid
		for j := range n {
			if e.norm[j] == 0 {
				continue
			}
			e.rowNorm[j] = 1
			for c, v := range e.d.row(j) {
				e.rows[j*hid+c] = F(float64(v) / e.norm[j])
			}
		}
	}
	for _, v := range e.rowNorm {
		e.rowNormMax = max(e.rowNormMax, v)
	}
	if _, ok := any(dct.Data).([]F); !ok {
		e.xbuf = make([]F, batch*hid)
	}
	e.roundingBase = 1.1 * (gammaN(hid, k.unit) + 3*k.unit)
	for range opt.Threads {
		e.workers = append(e.workers, newWorker(e))
	}
	e.stats.BatchSize = batch
	e.stats.CacheColumns = capacity
	e.stats.Bytes = e.bytes()
	return e
}

// asFloat returns a float32 matrix as []F: the data itself when F is
// float32, a converted compact copy otherwise.
func asFloat[F float](data []float32, stride, rows, cols int) ([]F, int) {
	if same, ok := any(data).([]F); ok {
		return same, stride
	}
	out := make([]F, rows*cols)
	for i := range rows {
		for c, v := range data[i*stride : i*stride+cols] {
			out[i*cols+c] = F(v)
		}
	}
	return out, cols
}

func (e *engine[F]) bytes() int64 {
	var zero F
	size := int64(unsafe.Sizeof(zero))
	b := size * int64(len(e.cache.data)+len(e.alpha0)+len(e.xbuf)+len(e.fillIn)+len(e.fillOut))
	b += 8 * int64(len(e.lbuf)+len(e.zbuf)+len(e.bbuf))
	if len(e.rows) > 0 && &e.rows[0] != &e.atoms[0] {
		b += size * int64(len(e.rows))
	}
	if _, ok := any(e.d.data).([]F); !ok {
		b += size * int64(len(e.atoms))
	}
	return b + int64(len(e.workers))*int64(e.n)*size
}

// solve runs every target of X, batch by batch, into sol.
func (e *engine[F]) solve(ctx context.Context, X blas32.General, sol *Solution) error {
	done := 0
	for b0 := 0; b0 < X.Rows; b0 += e.batch {
		b1 := min(b0+e.batch, X.Rows)
		if err := e.solveBatch(ctx, X, b0, b1, sol, &done); err != nil {
			return err
		}
	}
	for _, w := range e.workers {
		e.stats.Rechecks += w.rechecks
	}
	sol.Stats = e.stats
	return nil
}

func (e *engine[F]) solveBatch(ctx context.Context, X blas32.General, b0, b1 int, sol *Solution, done *int) error {
	m, K := b1-b0, e.opt.K
	start := time.Now()
	e.initialCorrelations(X, b0, b1)
	e.stats.InitialTime += time.Since(start)
	active := make([]int, m)
	for i := range m {
		id := b0 + i
		x := X.Data[id*X.Stride : id*X.Stride+X.Cols]
		xx := dot64(x, x)
		tol2 := -1.0
		if e.opt.Tolerance > 0 {
			tol2 = e.opt.Tolerance * e.opt.Tolerance * xx
		}
		base := e.bbuf[i*K : (i+1)*K]
		clear(base)
		e.tgs[i] = target{
			id: id, x: x, xx: xx, tol2: tol2, res2: xx, need: -1,
			l:        e.lbuf[i*K*(K+1)/2 : (i+1)*K*(K+1)/2],
			z:        e.zbuf[i*K : (i+1)*K],
			support:  sol.support[id*K : (id+1)*K],
			coef:     sol.coef[id*K : (id+1)*K],
			base:     base,
			baseNorm: math.Sqrt(xx),
			fresh:    true,
		}
		active[i] = i
	}
	for len(active) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("omp: %w", err)
		}
		start := time.Now()
		e.advance(ctx, active, sol)
		e.stats.StepTime += time.Since(start)
		e.stats.Rounds++
		start = time.Now()
		e.rebase()
		e.stats.RebaseTime += time.Since(start)
		start = time.Now()
		if err := e.serviceMisses(); err != nil {
			return err
		}
		e.stats.GramTime += time.Since(start)
		still := active[:0]
		for _, i := range active {
			if e.tgs[i].done {
				*done++
			} else {
				still = append(still, i)
			}
		}
		active = still
		if e.opt.Progress != nil {
			e.opt.Progress(*done, X.Rows)
		}
	}
	e.cache.unpinAll()
	return nil
}

// initialCorrelations fills α⁰ for targets [b0, b1) of X.
func (e *engine[F]) initialCorrelations(X blas32.General, b0, b1 int) {
	m := b1 - b0
	x, ldx := any(X.Data).([]F)
	if ldx {
		x = x[b0*X.Stride:]
	} else {
		for i := range m {
			row := X.Data[(b0+i)*X.Stride : (b0+i)*X.Stride+X.Cols]
			for c, v := range row {
				e.xbuf[i*e.hid+c] = F(v)
			}
		}
		x = e.xbuf
	}
	stride := e.hid
	if ldx {
		stride = X.Stride
	}
	e.k.gemmT(m, e.n, e.hid, x, stride, e.rows, e.rowStride, e.alpha0, e.n)
}

// advance runs every active target as far as the cached Gram columns
// allow, on opt.Threads goroutines.
func (e *engine[F]) advance(ctx context.Context, active []int, sol *Solution) {
	forEach(ctx, e.workers, len(active), func(w *worker[F], i int) {
		a := active[i]
		w.run(&e.tgs[a], a, e.alpha0[a*e.n:(a+1)*e.n], sol)
	})
}

// serviceMisses pins the atoms chosen this round and computes the Gram
// columns targets wait for.
func (e *engine[F]) serviceMisses() error {
	var missing []int32
	for _, w := range e.workers {
		for _, a := range w.added {
			e.cache.pin(a)
		}
		for _, a := range w.missing {
			if !e.mark[a] {
				e.mark[a] = true
				missing = append(missing, a)
			}
		}
		w.added, w.missing = w.added[:0], w.missing[:0]
	}
	e.cache.round++
	for _, a := range missing {
		e.mark[a] = false
	}
	for start := 0; start < len(missing); start += fillBatch {
		if err := e.fill(missing[start:min(start+fillBatch, len(missing))]); err != nil {
			return err
		}
	}
	e.stats.GramColumns += len(missing)
	return nil
}

// fill computes the Gram columns of atoms with one matrix product.
func (e *engine[F]) fill(atoms []int32) error {
	m, hid := len(atoms), e.hid
	for i, a := range atoms {
		copy(e.fillIn[i*hid:(i+1)*hid], e.atoms[int(a)*e.atomStride:int(a)*e.atomStride+hid])
	}
	e.k.gemmT(m, e.n, hid, e.fillIn, hid, e.rows, e.rowStride, e.fillOut, e.n)
	for i, a := range atoms {
		col, err := e.cache.insert(a)
		if err != nil {
			return err
		}
		copy(col, e.fillOut[i*e.n:(i+1)*e.n])
	}
	return nil
}

// rebase recomputes the base correlations of the targets that asked for
// it, R r with r their current residual, by one matrix product per
// fillBatch targets.
func (e *engine[F]) rebase() {
	var waiting []int
	for _, w := range e.workers {
		waiting = append(waiting, w.rebases...)
		w.rebases = w.rebases[:0]
	}
	r := make([]float64, e.hid)
	for start := 0; start < len(waiting); start += fillBatch {
		group := waiting[start:min(start+fillBatch, len(waiting))]
		for i, a := range group {
			tg := &e.tgs[a]
			tg.residual(e.d, r)
			var rr float64
			for c, v := range r {
				e.fillIn[i*e.hid+c] = F(v)
				rr += v * v
			}
			tg.baseNorm = math.Sqrt(rr)
			copy(tg.base, tg.coef[:tg.t])
			tg.fresh = true
		}
		e.k.gemmT(len(group), e.n, e.hid, e.fillIn, e.hid, e.rows, e.rowStride, e.fillOut, e.n)
		for i, a := range group {
			copy(e.alpha0[a*e.n:(a+1)*e.n], e.fillOut[i*e.n:(i+1)*e.n])
		}
	}
	e.stats.Rebases += len(waiting)
}

// errorScale bounds the rounding error of a target's screened correlations:
// |computed α_j − exact α_j| ≤ errorScale·‖R_j‖. The base correlation and
// every Gram entry are inner products of length hid (error
// γ_hid·‖R_j‖·‖r_b‖ and γ_hid·‖R_j‖·‖d_s‖), the base residual and the
// coefficient changes are rounded to F (u each), the rows may be rounded
// by normalization (u), and the update sums t+1 terms (γ_{t+2} with the
// products). The 1.1 absorbs second-order terms.
func (e *engine[F]) errorScale(tg *target) float64 {
	s := tg.baseNorm
	for i, a := range tg.support[:tg.t] {
		s += math.Abs(tg.coef[i]-tg.base[i]) * e.norm[a]
	}
	return (e.roundingBase + 1.1*gammaN(tg.t+2, e.k.unit)) * s
}
