package omp

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
	"unsafe"

	"gonum.org/v1/gonum/blas/blas32"
)

const (
	// fillBatch is the most Gram columns, or targets' correlations, one
	// matrix product computes.
	fillBatch = 256
	// chunkBlocks is the number of blocks a goroutine updates at a time:
	// its blocks' maxima of one target fill a cache line or two.
	chunkBlocks = 16
)

// engine runs Batch-OMP in precision F over one dictionary.
//
// Targets advance in batches, all of a batch's targets one step at a time
// together. A batch starts with one matrix product, the correlations
// α⁰ = R x of every target with every screening row R_j (the anchors,
// normalized when Options.Normalize). After t steps a target's
// correlations with its residual are α⁰ − Σ_s γ_s g_s, where g_s = R d_s
// is the Gram column of a chosen atom s. Gram columns come from a cache
// shared by all targets; before each step the columns of the atoms chosen
// in the last one are computed, those the cache lacks by one matrix
// product for all targets.
//
// The update α⁰ − Σ_s γ_s g_s then runs block by block of anchors for all
// targets (update): a block's slices of the Gram columns in use are read
// from cache by every target that uses them, instead of each target
// streaming its columns from memory. It keeps only the largest magnitude
// of each block; a target's choice (worker.pick) recomputes the few blocks
// that can hold it.
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
	nb  int // blocks of tileRows anchors; the last is padded with zeros
	hid int // hidden size

	rows, atoms  []F // n×hid, row stride hid or the dictionary's stride
	rowStride    int
	atomStride   int
	rowNorm      []float64 // ‖R_j‖ in exact arithmetic
	rowNormMax   float64
	norm         []float64 // ‖d_j‖
	roundingBase float64   // (γ_hid + 3u)·1.1, see errorScale

	batch int
	cache *gramCache[F]
	// alpha0 holds the base correlations by block, then target: block b
	// of the target at batch position a starts at (b·batch + a)·tileRows.
	alpha0 []F
	// bmax holds the largest screened correlation outside the support
	// by block, then target: b·batch + a.
	bmax    []F
	tgs     []target
	scr     []screen[F]
	xbuf    []F
	lbuf    []float64
	zbuf    []float64
	bbuf    []float64
	slotBuf []int32
	gamBuf  []F
	sortBuf []int32
	fillIn  []F
	fillOut []F // fillBatch rows of nb·tileRows, zero past the anchors
	mark    []bool
	workers []*worker[F]
	stats   Stats
}

// A screen is what the update reads and writes for one target.
type screen[F float] struct {
	slots []int32 // cache slots of the support's columns with γ_s ≠ γ_b,s
	gam   []F     // −(γ_s − γ_b,s) for those columns
	zero  []int32 // the support, sorted: its correlations are zeroed
	top   blockTop[F]
}

// blockTop summarizes block maxima: the largest, the first block holding
// it, and the largest of the other blocks' maxima.
type blockTop[F float] struct {
	best   F
	block  int // -1 when empty
	second F
}

// merge combines two summaries of disjoint sets of blocks.
func (a blockTop[F]) merge(b blockTop[F]) blockTop[F] {
	switch {
	case b.block < 0:
		return a
	case a.block < 0:
		return b
	case b.best > a.best || (b.best == a.best && b.block < a.block):
		return blockTop[F]{b.best, b.block, max(b.second, a.best, a.second)}
	}
	return blockTop[F]{a.best, a.block, max(a.second, b.best, b.second)}
}

func newEngine[F float](k kernels[F], dct blas32.General, opt Options, batch, capacity int) *engine[F] {
	n, hid, K := dct.Rows, dct.Cols, opt.K
	nb := (n + tileRows - 1) / tileRows
	e := &engine[F]{
		k: k, opt: opt, n: n, nb: nb, hid: hid, batch: batch,
		d:       &dict{data: dct.Data, stride: dct.Stride, cols: hid, norm2: make([]float64, n), dot: dsdot()},
		rowNorm: make([]float64, n),
		norm:    make([]float64, n),
		cache:   newGramCache[F](n, capacity),
		alpha0:  make([]F, batch*nb*tileRows),
		bmax:    make([]F, batch*nb),
		tgs:     make([]target, batch),
		scr:     make([]screen[F], batch),
		lbuf:    make([]float64, batch*K*(K+1)/2),
		zbuf:    make([]float64, batch*K),
		bbuf:    make([]float64, batch*K),
		slotBuf: make([]int32, batch*K),
		gamBuf:  make([]F, batch*K),
		sortBuf: make([]int32, batch*K),
		fillIn:  make([]F, fillBatch*hid),
		fillOut: make([]F, fillBatch*nb*tileRows),
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
		e.xbuf = make([]F, fillBatch*hid)
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
	b := size * int64(len(e.cache.data)+len(e.alpha0)+len(e.bmax)+len(e.gamBuf)+len(e.xbuf)+len(e.fillIn)+len(e.fillOut))
	b += 8 * int64(len(e.lbuf)+len(e.zbuf)+len(e.bbuf))
	b += 4 * int64(len(e.slotBuf)+len(e.sortBuf))
	if len(e.rows) > 0 && &e.rows[0] != &e.atoms[0] {
		b += size * int64(len(e.rows))
	}
	if _, ok := any(e.d.data).([]F); !ok {
		b += size * int64(len(e.atoms))
	}
	return b + int64(len(e.workers))*int64(e.batch)*workerBytesPerTarget(size)
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
		e.scr[i] = screen[F]{
			slots: e.slotBuf[i*K : i*K : (i+1)*K],
			gam:   e.gamBuf[i*K : i*K : (i+1)*K],
			zero:  e.sortBuf[i*K : i*K : (i+1)*K],
		}
		active[i] = i
	}
	for len(active) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("omp: %w", err)
		}
		start := time.Now()
		if err := e.serviceMisses(active); err != nil {
			return err
		}
		e.stats.GramTime += time.Since(start)
		start = time.Now()
		e.update(ctx, active)
		e.stats.UpdateTime += time.Since(start)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("omp: %w", err)
		}
		e.advance(ctx, active, sol)
		e.stats.StepTime += time.Since(start)
		e.stats.Rounds++
		start = time.Now()
		e.rebase()
		e.stats.RebaseTime += time.Since(start)
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

// initialCorrelations fills α⁰ for targets [b0, b1) of X, by one matrix
// product per fillBatch targets.
func (e *engine[F]) initialCorrelations(X blas32.General, b0, b1 int) {
	for g0 := b0; g0 < b1; g0 += fillBatch {
		g1 := min(g0+fillBatch, b1)
		x, ldx := any(X.Data).([]F)
		stride := X.Stride
		if ldx {
			x = x[g0*X.Stride:]
		} else {
			for i := range g1 - g0 {
				row := X.Data[(g0+i)*X.Stride : (g0+i)*X.Stride+X.Cols]
				for c, v := range row {
					e.xbuf[i*e.hid+c] = F(v)
				}
			}
			x, stride = e.xbuf, e.hid
		}
		e.k.gemmT(g1-g0, e.n, e.hid, x, stride, e.rows, e.rowStride, e.fillOut, e.nb*tileRows)
		for i := range g1 - g0 {
			e.setBase(g0-b0+i, i)
		}
	}
}

// setBase copies row i of fillOut into the base correlations of the
// target at batch position a.
func (e *engine[F]) setBase(a, i int) {
	row := e.fillOut[i*e.nb*tileRows : (i+1)*e.nb*tileRows]
	for b := range e.nb {
		copy(e.alpha0[(b*e.batch+a)*tileRows:(b*e.batch+a+1)*tileRows], row[b*tileRows:(b+1)*tileRows])
	}
}

// serviceMisses pins the Gram columns of the atoms chosen in the last
// step, computes those the cache lacks, and sets every active target's
// screen for the next step.
func (e *engine[F]) serviceMisses(active []int) error {
	var missing []int32
	e.cache.round++
	for _, a := range active {
		j := e.tgs[a].need
		switch {
		case j < 0:
		case e.cache.slot(j) >= 0:
			e.cache.pin(j)
		case !e.mark[j]:
			e.mark[j] = true
			missing = append(missing, j)
		}
	}
	for _, j := range missing {
		e.mark[j] = false
	}
	for start := 0; start < len(missing); start += fillBatch {
		if err := e.fill(missing[start:min(start+fillBatch, len(missing))]); err != nil {
			return err
		}
	}
	e.stats.GramColumns += len(missing)
	for _, a := range active {
		e.tgs[a].need = -1
		e.prepare(a)
	}
	return nil
}

// fill computes the Gram columns of atoms with one matrix product.
func (e *engine[F]) fill(atoms []int32) error {
	m, hid, np := len(atoms), e.hid, e.nb*tileRows
	for i, a := range atoms {
		copy(e.fillIn[i*hid:(i+1)*hid], e.atoms[int(a)*e.atomStride:int(a)*e.atomStride+hid])
	}
	e.k.gemmT(m, e.n, hid, e.fillIn, hid, e.rows, e.rowStride, e.fillOut, np)
	for i, a := range atoms {
		if err := e.cache.insert(a, e.fillOut[i*np:(i+1)*np]); err != nil {
			return err
		}
	}
	return nil
}

// prepare sets the screen of the target at batch position a from its
// support and coefficients.
func (e *engine[F]) prepare(a int) {
	tg, sc := &e.tgs[a], &e.scr[a]
	for _, s := range tg.support[len(sc.zero):tg.t] {
		i, _ := slices.BinarySearch(sc.zero, s)
		sc.zero = slices.Insert(sc.zero, i, s)
	}
	sc.slots, sc.gam = sc.slots[:0], sc.gam[:0]
	for i, s := range tg.support[:tg.t] {
		if d := tg.coef[i] - tg.base[i]; d != 0 {
			slot := e.cache.slot(s)
			if slot < 0 || int(slot) >= e.cache.cap {
				panic("omp: internal error: support column not cached")
			}
			sc.slots = append(sc.slots, slot)
			sc.gam = append(sc.gam, F(-d))
		}
	}
}

// update sets bmax and the block summary of every active target's
// screened correlations, α_b − Σ_s (γ_s − γ_b,s) g_s with the support
// zeroed (it is zero in exact arithmetic: the residual is orthogonal to
// the support), on opt.Threads goroutines taking chunkBlocks blocks at a
// time.
func (e *engine[F]) update(ctx context.Context, active []int) {
	for _, w := range e.workers {
		for p := range active {
			w.top[p] = blockTop[F]{block: -1}
		}
	}
	forEach(ctx, e.workers, (e.nb+chunkBlocks-1)/chunkBlocks, func(w *worker[F], c int) {
		w.update(active, c*chunkBlocks, min((c+1)*chunkBlocks, e.nb))
	})
	for p, a := range active {
		top := blockTop[F]{block: -1}
		for _, w := range e.workers {
			top = top.merge(w.top[p])
		}
		e.scr[a].top = top
	}
}

// advance takes one step of every active target, on opt.Threads
// goroutines.
func (e *engine[F]) advance(ctx context.Context, active []int, sol *Solution) {
	forEach(ctx, e.workers, len(active), func(w *worker[F], i int) {
		a := active[i]
		w.step(&e.tgs[a], a, sol)
	})
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
		e.k.gemmT(len(group), e.n, e.hid, e.fillIn, e.hid, e.rows, e.rowStride, e.fillOut, e.nb*tileRows)
		for i, a := range group {
			e.setBase(a, i)
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
