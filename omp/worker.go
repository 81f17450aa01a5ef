package omp

import (
	"math"
	"slices"
)

// maxCandidates is the most near-equal anchors a stale screen settles by
// exact recomputation; past it, a rebase is cheaper.
const maxCandidates = 64

// A worker advances targets, one at a time, with its own scratch space.
type worker[F float] struct {
	e    *engine[F]
	acc  []F   // the current correlations, one per anchor
	gam  []F   // −(γ − γ_b) in F
	cols [][]F // the Gram columns of the support
	b    []float64
	r    []float64
	cand []int

	added    []int32 // atoms chosen this round, to pin
	missing  []int32 // Gram columns waited for
	rebases  []int   // targets (batch positions) waiting for a rebase
	rechecks int
}

func newWorker[F float](e *engine[F]) *worker[F] {
	return &worker[F]{
		e:    e,
		acc:  make([]F, e.n),
		gam:  make([]F, e.opt.K),
		cols: make([][]F, e.opt.K),
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

// run advances tg, at batch position pos, until it finishes, needs a Gram
// column the cache lacks, or needs a rebase.
func (w *worker[F]) run(tg *target, pos int, alpha0 []F, sol *Solution) {
	e := w.e
	for !tg.done {
		if tg.need >= 0 {
			if e.cache.col(tg.need) == nil {
				w.missing = append(w.missing, tg.need)
				return
			}
			tg.need = -1
		}
		w.correlate(tg, alpha0)
		j, v := w.pick(tg)
		if v == inconclusive && !tg.fresh {
			w.rebases = append(w.rebases, pos)
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
			w.added = append(w.added, int32(j))
			tg.need = int32(j)
		}
	}
}

// correlate sets acc to α_b − Σ_s (γ_s − γ_b,s) g_s, the correlations of
// every screening row with tg's residual, and zeroes the support's entries
// (they are zero in exact arithmetic: the residual is orthogonal to the
// support).
func (w *worker[F]) correlate(tg *target, alpha0 []F) {
	e := w.e
	sup := tg.support[:tg.t]
	cols := w.cols[:0]
	gam := w.gam[:0]
	for i, s := range sup {
		if d := tg.coef[i] - tg.base[i]; d != 0 {
			cols = append(cols, e.cache.col(s))
			gam = append(gam, F(-d))
		}
	}
	for c0 := 0; c0 < e.n; c0 += chunk {
		c1 := min(c0+chunk, e.n)
		a := w.acc[c0:c1]
		copy(a, alpha0[c0:c1])
		for i, col := range cols {
			e.k.axpy(gam[i], col[c0:c1], a)
		}
	}
	for _, s := range sup {
		w.acc[s] = 0
	}
}

// pick returns the anchor with the largest exact correlation. It trusts
// the screened value unless another anchor lies within the rounding error
// bound, in which case it recomputes the contenders exactly from the
// residual. It gives up when the bound swamps the best correlation, or
// lets in more contenders than a rebase costs (not counting a fresh base,
// which no rebase would improve).
func (w *worker[F]) pick(tg *target) (int, verdict) {
	e, acc := w.e, w.acc
	c := e.errorScale(tg)
	i := e.k.iamax(acc)
	top := math.Abs(float64(acc[i]))
	if top <= c*e.rowNorm[i] {
		return -1, inconclusive
	}
	keep := acc[i]
	acc[i] = 0
	second := math.Abs(float64(acc[e.k.iamax(acc)]))
	acc[i] = keep
	if second < top-c*(e.rowNorm[i]+e.rowNormMax) {
		return i, picked
	}
	floor := top - c*e.rowNorm[i]
	// A float32 pass with the widest allowance finds a superset of the
	// contenders; the exact test then runs on few.
	loose := F(0.999 * (floor - c*e.rowNormMax))
	w.cand = w.cand[:0]
	for j, v := range acc {
		if (v >= loose || v <= -loose) && math.Abs(float64(v))+c*e.rowNorm[j] >= floor {
			w.cand = append(w.cand, j)
		}
	}
	if len(w.cand) > maxCandidates && !tg.fresh {
		return -1, inconclusive
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
