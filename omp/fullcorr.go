package omp

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/internal/fastblas"
)

// SolveFullCorrelation computes the decomposition Solve computes, by the
// algorithm of mergekit's tokensurgeon: at every step one matrix product
// correlates every residual with every anchor (targets × hidden by hidden ×
// anchors), and the support is kept orthonormal by classical Gram–Schmidt,
// all in float32. It does about K/2 times the arithmetic of Solve for
// K ≪ hidden and exists as the baseline that tests and benchmarks compare
// Solve against.
//
// It honours K, Tolerance, Normalize, BatchSize (targets per product;
// zero sizes it from MaxMemory), Threads and Progress, and stops a target
// as Solve does. Float64 is ignored. Where Solve settles near-equal
// correlations exactly, this takes the float32 argmax, so the two may part
// ways at floating-point ties.
func SolveFullCorrelation(ctx context.Context, dict, targets blas32.General, opts Options) (*Solution, error) {
	if err := checkTables(dict, targets); err != nil {
		return nil, err
	}
	o, err := opts.resolved(dict.Rows)
	if err != nil {
		return nil, err
	}
	n, hid := dict.Rows, dict.Cols
	sol := newSolution(targets.Rows, o.K)
	fc := &fullCorr{o: o, impl: fastblas.Float32(), dict: dict, n: n, hid: hid, rowNorm: make([]float64, n)}
	fc.rows, fc.rowStride = dict.Data, dict.Stride
	for j := range n {
		fc.rowNorm[j] = norm64(dict.Data[j*dict.Stride : j*dict.Stride+hid])
	}
	if o.Normalize {
		fc.rows, fc.rowStride = make([]float32, n*hid), hid
		for j, nj := range fc.rowNorm {
			for c, v := range dict.Data[j*dict.Stride : j*dict.Stride+hid] {
				if nj > 0 {
					fc.rows[j*hid+c] = float32(float64(v) / nj)
				}
			}
			fc.rowNorm[j] = min(nj, 1)
		}
	}
	batch := o.BatchSize
	if batch == 0 {
		batch = int(max(1, o.MaxMemory/(4*int64(n+o.K*hid))))
	}
	batch = min(batch, targets.Rows)
	done := 0
	for b0 := 0; b0 < targets.Rows; b0 += batch {
		if err := fc.solveBatch(ctx, targets, b0, min(b0+batch, targets.Rows), sol, &done); err != nil {
			return nil, err
		}
	}
	return sol, nil
}

type fullCorr struct {
	o         Options
	impl      blas.Float32
	dict      blas32.General
	n, hid    int
	rows      []float32
	rowStride int
	rowNorm   []float64
}

// gsTarget is one target's state: orthonormal directions q_i, the upper
// triangular R with D_S = R Q, z = Q x, and the residual.
type gsTarget struct {
	id    int
	x     []float32
	xx    float64
	q     []float32 // K×hid
	r     []float32 // K×K, row-major upper triangle
	z     []float32
	res   []float32
	t     int
	done  bool
	coefs []float64
	sup   []int32
}

func (fc *fullCorr) solveBatch(ctx context.Context, X blas32.General, b0, b1 int, sol *Solution, done *int) error {
	K, hid, n := fc.o.K, fc.hid, fc.n
	tgs := make([]gsTarget, b1-b0)
	for i := range tgs {
		id := b0 + i
		x := X.Data[id*X.Stride : id*X.Stride+hid]
		tgs[i] = gsTarget{id: id, x: x, xx: dot64(x, x),
			q: make([]float32, K*hid), r: make([]float32, K*K), z: make([]float32, K),
			res: append([]float32(nil), x...), coefs: sol.coef[id*K : (id+1)*K], sup: sol.support[id*K : (id+1)*K]}
	}
	active := make([]int, len(tgs))
	for i := range active {
		active[i] = i
	}
	packed := make([]float32, len(tgs)*hid)
	corr := make([]float32, len(tgs)*n)
	workers := make([]struct{}, fc.o.Threads)
	for len(active) > 0 {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("omp: %w", err)
		}
		for p, i := range active {
			copy(packed[p*hid:(p+1)*hid], tgs[i].res)
		}
		fc.impl.Sgemm(blas.NoTrans, blas.Trans, len(active), n, hid, 1, packed, hid, fc.rows, fc.rowStride, 0, corr, n)
		forEach(ctx, workers, len(active), func(_ struct{}, p int) {
			fc.step(&tgs[active[p]], corr[p*n:(p+1)*n], sol)
		})
		still := active[:0]
		for _, i := range active {
			if tgs[i].done {
				*done++
			} else {
				still = append(still, i)
			}
		}
		active = still
		if fc.o.Progress != nil {
			fc.o.Progress(*done, X.Rows)
		}
	}
	return nil
}

// step picks tg's next atom from its correlations c and updates its
// factorization and residual.
func (fc *fullCorr) step(tg *gsTarget, c []float32, sol *Solution) {
	impl, hid, K := fc.impl, fc.hid, fc.o.K
	for _, s := range tg.sup[:tg.t] {
		c[s] = 0
	}
	j := impl.Isamax(len(c), c, 1)
	resNorm := math.Sqrt(float64(impl.Sdot(hid, tg.res, 1, tg.res, 1)))
	if math.Abs(float64(c[j])) <= 1.1*gammaN(hid+1, 0x1p-24)*fc.rowNorm[j]*(resNorm+math.Sqrt(tg.xx)) {
		fc.finish(tg, StopOrthogonal, sol)
		return
	}
	t := tg.t
	a := fc.dict.Data[j*fc.dict.Stride : j*fc.dict.Stride+hid]
	w := tg.q[t*hid : (t+1)*hid]
	copy(w, a)
	for i := range t {
		qi := tg.q[i*hid : (i+1)*hid]
		p := impl.Sdot(hid, qi, 1, a, 1)
		tg.r[i*K+t] = p
		impl.Saxpy(hid, -p, qi, 1, w, 1)
	}
	nrm := impl.Snrm2(hid, w, 1)
	if float64(nrm)*float64(nrm) <= dependentTol*dot64(a, a) {
		fc.finish(tg, StopDependent, sol)
		return
	}
	impl.Sscal(hid, 1/nrm, w, 1)
	tg.r[t*K+t] = nrm
	tg.z[t] = impl.Sdot(hid, w, 1, tg.x, 1)
	tg.sup[t] = int32(j)
	tg.t++
	// The residual is recomputed from the projection, as mergekit does.
	copy(tg.res, tg.x)
	for i := range tg.t {
		impl.Saxpy(hid, -tg.z[i], tg.q[i*hid:(i+1)*hid], 1, tg.res, 1)
	}
	rr := float64(impl.Sdot(hid, tg.res, 1, tg.res, 1))
	switch {
	case fc.o.Tolerance > 0 && rr <= fc.o.Tolerance*fc.o.Tolerance*tg.xx:
		fc.finish(tg, StopTolerance, sol)
	case tg.t == K:
		fc.finish(tg, StopK, sol)
	}
}

// finish solves R γ = z in float32 and records tg's outcome.
func (fc *fullCorr) finish(tg *gsTarget, why Stop, sol *Solution) {
	K, t := fc.o.K, tg.t
	g := make([]float32, t)
	for i := t - 1; i >= 0; i-- {
		v := tg.z[i]
		for k := i + 1; k < t; k++ {
			v -= tg.r[i*K+k] * g[k]
		}
		g[i] = v / tg.r[i*K+i]
	}
	var rr float64
	for c, xv := range tg.x {
		v := float64(xv)
		for i, s := range tg.sup[:t] {
			v -= float64(g[i]) * float64(fc.dict.Data[int(s)*fc.dict.Stride+c])
		}
		rr += v * v
	}
	for i, v := range g {
		tg.coefs[i] = float64(v)
	}
	tg.done = true
	sol.count[tg.id] = int32(t)
	sol.residual[tg.id] = math.Sqrt(rr)
	sol.norm[tg.id] = math.Sqrt(tg.xx)
	sol.stop[tg.id] = why
}
