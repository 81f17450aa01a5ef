package omp

import (
	"math"
	"slices"
	"unsafe"
)

// maxCandidates is the most near-equal anchors a stale screen settles by
// exact recomputation; past it, a rebase is cheaper.
const maxCandidates = 64

// A worker updates blocks of correlations and advances targets, with its
// own scratch space.
type worker[F float] struct {
	e    *engine[F]
	tile []F     // one block of correlations
	zoff []int32 // the support's rows within a block
	cur  []int32 // by position in the active list: next support entry to zero
	top  []blockTop[F]
	b    []float64
	r    []float64
	cand []int

	rebases  []int // targets (batch positions) waiting for a rebase
	rechecks int
}

// workerBytesPerTarget is what a worker keeps per target of a batch.
func workerBytesPerTarget(size int64) int64 { return 4 + 2*size + 8 }

func newWorker[F float](e *engine[F]) *worker[F] {
	return &worker[F]{
		e:    e,
		tile: make([]F, tileRows),
		zoff: make([]int32, 0, tileRows),
		cur:  make([]int32, e.batch),
		top:  make([]blockTop[F], e.batch),
		b:    make([]float64, e.opt.K),
		r:    make([]float64, e.hid),
	}
}

// verdict is the outcome of screening a target's correlations.
type verdict uint8

const (
	picked       verdict = iota
	orthogonal           // no correlation distinguishable from zero
	inconclusive         // rounding swamps the screen
)

// update computes blocks [b0, b1) of every active target's correlations,
// block by block so that the block's slices of the Gram columns stay in
// cache across targets, recording each block's largest magnitude in bmax
// and folding it into w.top.
func (w *worker[F]) update(active []int, b0, b1 int) {
	e := w.e
	cur := w.cur[:len(active)]
	for p, a := range active {
		i, _ := slices.BinarySearch(e.scr[a].zero, int32(b0*tileRows))
		cur[p] = int32(i)
	}
	var zero F
	used := min(e.cache.next, e.cache.cap) * tileRows * int(unsafe.Sizeof(zero))
	for b := b0; b < b1; b++ {
		base := e.cache.block(b)
		prefetch(unsafe.Pointer(unsafe.SliceData(base)), used)
		lo, hi := int32(b*tileRows), int32((b+1)*tileRows)
		for p, a := range active {
			sc := &e.scr[a]
			z, k := w.zoff[:0], cur[p]
			for int(k) < len(sc.zero) && sc.zero[k] < hi {
				z = append(z, sc.zero[k]-lo)
				k++
			}
			cur[p] = k
			m := e.k.tile(w.tile, e.alpha0[(b*e.batch+a)*tileRows:], base, sc.slots, sc.gam, z)
			e.bmax[b*e.batch+a] = m
			w.top[p] = w.top[p].merge(blockTop[F]{best: m, block: b})
		}
	}
}

// step advances tg, at batch position a, by one atom, or finishes it, or
// queues it for a rebase.
func (w *worker[F]) step(tg *target, a int, sol *Solution) {
	e := w.e
	j, v := w.pick(tg, a)
	if v == inconclusive && !tg.fresh {
		w.rebases = append(w.rebases, a)
		return
	}
	if v == inconclusive {
		j, v = w.exhaustive(tg)
	}
	switch {
	case v == orthogonal:
		w.finish(tg, StopOrthogonal, sol)
	case !tg.add(e.d, j, w.b):
		w.finish(tg, StopDependent, sol)
	case w.exactFit(tg):
		w.finish(tg, StopOrthogonal, sol)
	case tg.tol2 >= 0 && tg.res2 <= tg.tol2:
		w.finish(tg, StopTolerance, sol)
	case tg.t == e.opt.K:
		w.finish(tg, StopK, sol)
	default:
		tg.need = int32(j)
	}
}

// block recomputes block b of the screened correlations of the target at
// batch position a into w.tile, exactly as update did.
func (w *worker[F]) block(a, b int) []F {
	e, sc := w.e, &w.e.scr[a]
	lo, hi := int32(b*tileRows), int32((b+1)*tileRows)
	i, _ := slices.BinarySearch(sc.zero, lo)
	z := w.zoff[:0]
	for _, s := range sc.zero[i:] {
		if s >= hi {
			break
		}
		z = append(z, s-lo)
	}
	e.k.tile(w.tile, e.alpha0[(b*e.batch+a)*tileRows:], e.cache.block(b), sc.slots, sc.gam, z)
	return w.tile
}

// pick returns the anchor with the largest exact correlation. It trusts
// the screened value unless another anchor lies within the rounding error
// bound, in which case it recomputes the contenders exactly from the
// residual. It gives up when the bound swamps the best correlation, or
// lets in more contenders than a rebase costs (not counting a fresh base,
// which no rebase would improve).
//
// The update left only block maxima; pick recomputes the block holding
// the best and, when the best is not clear, the blocks whose maxima reach
// the contenders' threshold.
func (w *worker[F]) pick(tg *target, a int) (int, verdict) {
	e := w.e
	top := e.scr[a].top
	c := e.errorScale(tg)
	tile := w.block(a, top.block)
	k := e.k.iamax(tile)
	i := top.block*tileRows + k
	best := math.Abs(float64(tile[k]))
	if best <= c*e.rowNorm[i] {
		return -1, inconclusive
	}
	keep := tile[k]
	tile[k] = 0
	second := math.Max(float64(top.second), math.Abs(float64(tile[e.k.iamax(tile)])))
	if second < best-c*(e.rowNorm[i]+e.rowNormMax) {
		return i, picked
	}
	tile[k] = keep
	floor := best - c*e.rowNorm[i]
	// A pass in F with the widest allowance finds a superset of the
	// contenders; the exact test then runs on few.
	loose := F(0.999 * (floor - c*e.rowNormMax))
	w.cand = w.cand[:0]
	for b := range e.nb {
		if e.bmax[b*e.batch+a] < loose {
			continue
		}
		for r, v := range w.block(a, b)[:min(tileRows, e.n-b*tileRows)] {
			j := b*tileRows + r
			if (v >= loose || v <= -loose) && math.Abs(float64(v))+c*e.rowNorm[j] >= floor {
				w.cand = append(w.cand, j)
			}
		}
		if len(w.cand) > maxCandidates && !tg.fresh {
			return -1, inconclusive
		}
	}
	w.rechecks++
	tg.residual(e.d, w.r)
	return w.exactBest(w.cand), picked
}

// exhaustive decides from every correlation computed exactly, in float64,
// from the residual: the screen's last resort when even fresh base
// correlations cannot resolve the choice. The residual then correlates
// with no anchor beyond float32 resolution. Correlations within float64
// rounding of zero mean the residual is orthogonal to every anchor.
func (w *worker[F]) exhaustive(tg *target) (int, verdict) {
	e := w.e
	tg.residual(e.d, w.r)
	s, rr := math.Sqrt(tg.xx), 0.0
	for i, a := range tg.support[:tg.t] {
		s += math.Abs(tg.coef[i]) * e.norm[a]
	}
	for _, v := range w.r {
		rr += v * v
	}
	u := 0x1p-53
	tol := 1.1 * (gammaN(e.hid, u)*math.Sqrt(rr) + gammaN(tg.t+1, u)*s)
	w.cand = w.cand[:0]
	for j := range e.n {
		if !slices.Contains(tg.support[:tg.t], int32(j)) && e.rowNorm[j] > 0 {
			w.cand = append(w.cand, j)
		}
	}
	j := w.exactBest(w.cand)
	if j < 0 || w.exactCorrelation(j) <= tol*e.rowNorm[j] {
		return -1, orthogonal
	}
	return j, picked
}

// exactBest returns the candidate with the largest correlation with the
// residual in w.r, computed in float64; ties go to the lowest index.
func (w *worker[F]) exactBest(cand []int) int {
	best, bestV := -1, -1.0
	for _, j := range cand {
		if v := w.exactCorrelation(j); v > bestV {
			best, bestV = j, v
		}
	}
	return best
}

// exactCorrelation is |⟨R_j, r⟩| in float64 for the residual r in w.r.
func (w *worker[F]) exactCorrelation(j int) float64 {
	e := w.e
	v := math.Abs(dot64r(e.d.row(j), w.r))
	if e.opt.Normalize {
		v /= e.norm[j]
	}
	return v
}

// exactFit reports whether tg's residual is below the resolution of the
// float32 inputs, ‖r‖ ≤ u₃₂·(‖x‖ + Σ|γ_s|·‖d_s‖): such a residual is
// rounding noise lying in the span of the support, and chasing it would
// only add atoms with meaningless coefficients.
func (w *worker[F]) exactFit(tg *target) bool {
	s := math.Sqrt(tg.xx)
	for i, a := range tg.support[:tg.t] {
		s += math.Abs(tg.coef[i]) * w.e.norm[a]
	}
	limit := 0x1p-24 * s
	if tg.res2 > 4*limit*limit {
		return false
	}
	tg.residual(w.e.d, w.r)
	var rr float64
	for _, v := range w.r {
		rr += v * v
	}
	return rr <= limit*limit
}

// finish records tg's outcome in sol.
func (w *worker[F]) finish(tg *target, why Stop, sol *Solution) {
	tg.done = true
	tg.residual(w.e.d, w.r)
	var rr float64
	for _, v := range w.r {
		rr += v * v
	}
	sol.count[tg.id] = int32(tg.t)
	sol.residual[tg.id] = math.Sqrt(rr)
	sol.norm[tg.id] = math.Sqrt(tg.xx)
	sol.stop[tg.id] = why
}
