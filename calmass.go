package transplant

import (
	"context"
	"fmt"
	"math"
	"sync"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/calibrate"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/internal/fastblas"
)

// Tokens the calibration text lacks keep their prior head row, and a
// prior row (the mean above all) gives its token about the probability of
// an average old token. A large vocabulary has a great many such tokens:
// A onto Gemma 3's tokenizer keeps 220,432 rows, which together took a
// quarter of the probability at every position of Go doc comments and of
// licenses, where 5–6% of the tokens are theirs. lowerUnseen lowers them
// all by one logit shift δ, chosen on the calibration text alone: at
// positions spread over it, the kept rows together should take the share
// of its tokens that are new tokens unseen elsewhere in it (cut into
// massParts parts, the new tokens of each part that no other part holds).
// That is the moment condition a maximum-likelihood shift of the group
// meets (the log-likelihood's derivative in δ is the group's count less
// its expected count) on text that differs from what was seen as much as
// one part of the calibration text differs from the rest. The shift only
// ever lowers.
//
// Measured on A (first 60 kB of Go doc comments and of licenses; A itself
// 2.658 and 2.199 bits per byte): onto Gemma 3's tokenizer δ = −1.42 nats,
// 2.684 → 2.636 and 2.241 → 2.201; onto Llama 3's δ = −0.86, 2.633 →
// 2.628 and 2.164 → 2.153. Two parts (δ = −1.08 and −0.44) gained less on
// all four (2.641, 2.205, 2.628, 2.156). Good–Turing's estimate (new
// tokens seen once: 2.9% and 2.0% of the text, against 5–8% on those
// texts) lowers too far: a fixed δ = −2 costs Llama 3 on Go doc comments
// (2.641).
//
// The shift is a row change δ·u, u the direction whose product with the
// base's final states is 1 (least squares over the same positions): the
// head has no bias to carry it.

// HowLowered ends how the run report counts a row lowered for a token
// the calibration text lacks ("mean, lowered").
const HowLowered = ", lowered"

// massContexts is how many positions, spread over the calibration text,
// the kept rows' probability is measured at; massParts how many parts the
// text is cut into for the share they should take; maxUnseenShift bounds
// δ.
const (
	massContexts   = 512
	maxUnseenShift = 30.0
	massParts      = 4
)

// massSamples are the states of the positions where the kept rows'
// probability is measured: after the last piece of a token, where a model
// on the new tokenizer predicts the next one.
type massSamples struct {
	at     []int // stream positions, ascending
	states blas32.General
	// target is the share of the text's tokens that are new tokens
	// absent from the rest of the text, its parts taken in turn.
	target float64
}

// massSamplesOf prepares to keep the states of up to n positions of st,
// spread evenly over it, for a head of the given width.
func massSamplesOf(st *calStream, rows, n, width int) *massSamples {
	return &massSamples{at: predictingPositions(st, n), states: blas32.General{Cols: width, Stride: width},
		target: unseenShare(st, rows, massParts)}
}

// predictingPositions returns up to n positions of st, spread evenly, at
// which the base has read a whole token of the new tokenizer and the next
// is one too.
func predictingPositions(st *calStream, n int) []int {
	var eligible []int
	for j := 0; j+1 < len(st.newIDs); j++ {
		if st.newIDs[j+1] >= 0 && st.pos[j+1] > st.pos[j] {
			eligible = append(eligible, st.pos[j+1]-1)
		}
	}
	pick := newSpread(1, n)
	for range eligible {
		pick.count(0)
	}
	var at []int
	for _, p := range eligible {
		if pick.keep(0) {
			at = append(at, p)
		}
	}
	return at
}

// unseenShare is the share of st's tokens that are new tokens (of rows
// map rows) occurring in one of parts equal parts of the text and in no
// other, at least one token's share.
func unseenShare(st *calStream, rows, parts int) float64 {
	count := make([]int, rows*parts) // row r's occurrences in part k at r*parts+k
	for _, o := range st.occ {
		count[o.row*parts+o.start*parts/len(st.ids)]++
	}
	unseen := 0
	for r := range rows {
		c := count[r*parts : (r+1)*parts]
		total := 0
		for _, v := range c {
			total += v
		}
		for _, v := range c {
			if v == total {
				unseen += v
			}
		}
	}
	return float64(max(unseen, 1)) / float64(max(st.tokens, 1))
}

// collect keeps the states of w at the chosen positions.
func (ms *massSamples) collect(w *calWindow) {
	end := w.start + w.states.Rows
	for k := ms.states.Rows; k < len(ms.at) && ms.at[k] < end; k++ {
		ms.states.Data = appendState(ms.states.Data, w.states, ms.at[k]-w.start, ms.states.Cols)
		ms.states.Rows++
	}
}

// lowerUnseen shifts the rows of rm not in fitted by the δ that gives
// them Good–Turing's share of the probability at ms's positions, with
// every other row of the new head (shared rows as the base has them,
// corrected, and fitted rows) as it now is.
func lowerUnseen(ctx context.Context, rm *heuristics.Map, fitted []bool, base blas32.General, anchors []heuristics.Anchor, ms *massSamples, rep *CalibrationReport) error {
	if ms == nil || ms.states.Rows == 0 || rep.Kept == 0 {
		return nil
	}
	u, a, err := unitDirection(ms.states)
	if err != nil {
		return err
	}
	rest, unseen, err := newHeadOf(rm, fitted, base, anchors).logMass(ctx, ms.states)
	if err != nil {
		return err
	}
	share := func(d float64) float64 {
		sum := 0.0
		for c := range rest {
			sum += 1 / (1 + math.Exp(rest[c]-unseen[c]-d*a[c]))
		}
		return sum / float64(len(rest))
	}
	target := ms.target
	rep.UnseenMass, rep.UnseenTarget = share(0), target
	if rep.UnseenMass <= target {
		return nil
	}
	lo, hi := -maxUnseenShift, 0.0 // share(lo) < target < share(hi)
	for range 60 {
		mid := (lo + hi) / 2
		if share(mid) > target {
			hi = mid
		} else {
			lo = mid
		}
	}
	rep.UnseenShift = lo
	shift := make([]float32, len(u))
	for j, v := range u {
		shift[j] = float32(lo * float64(v))
	}
	for i := range rm.Rows {
		if fitted[i] {
			continue
		}
		r := &rm.Rows[i]
		r.How += HowLowered
		if r.Delta == nil {
			r.Delta = shift // shared: nothing writes a row's Delta in place
			continue
		}
		d := make([]float32, len(shift))
		for j := range d {
			d[j] = r.Delta[j] + shift[j]
		}
		r.Delta = d
	}
	return nil
}

// unitDirection returns u minimizing ‖S u − 1‖² + λ‖u‖² over the rows of
// S, with a small λ, and each row's product with it.
func unitDirection(states blas32.General) (u []float32, a []float64, err error) {
	d := states.Cols
	f, err := calibrate.NewFitter(states, 1e-3*meanSquaredNorm(states))
	if err != nil {
		return nil, nil, fmt.Errorf("transplant: calibration: unseen rows: %w", err)
	}
	st := make([]float32, d)
	for r := range states.Rows {
		for j, v := range states.Data[r*states.Stride : r*states.Stride+d] {
			st[j] += v
		}
	}
	u = make([]float32, d)
	if err := f.Anchor(u, st, make([]float32, d)); err != nil {
		return nil, nil, err
	}
	a = make([]float64, states.Rows)
	for r := range a {
		for j, v := range states.Data[r*states.Stride : r*states.Stride+d] {
			a[r] += float64(v) * float64(u[j])
		}
	}
	return u, a, nil
}

// massBlock is how many head rows logMass multiplies at once.
const massBlock = 2048

// newHead is the head a calibration makes: the base's rows of shared
// tokens with their corrections, then the map's rows.
type newHead struct {
	rm      *heuristics.Map
	fitted  []bool // per map row
	base    blas32.General
	anchors []heuristics.Anchor
	corr    map[int][]float32 // the map's corrections by new id
}

func newHeadOf(rm *heuristics.Map, fitted []bool, base blas32.General, anchors []heuristics.Anchor) *newHead {
	h := &newHead{rm: rm, fitted: fitted, base: base, anchors: anchors, corr: make(map[int][]float32, len(rm.Corrections))}
	for _, c := range rm.Corrections {
		h.corr[c.ID] = c.Delta
	}
	return h
}

// logMass returns, for each state, log Σ exp of the head's logits over the
// unseen rows (map rows not fitted) and over the rest. Blocks of rows run
// on every core; their sums are merged in block order, so the result does
// not depend on the number of cores.
func (h *newHead) logMass(ctx context.Context, states blas32.General) (rest, unseen []float64, err error) {
	blocks := (len(h.anchors) + len(h.rm.Rows) + massBlock - 1) / massBlock
	parts := make([][]float64, blocks) // per block and state: rest, unseen
	var scratch sync.Pool              // of *massScratch: one per worker at most
	err = parallelRows(ctx, blocks, func(b int) error {
		sc, _ := scratch.Get().(*massScratch)
		if sc == nil {
			rw, err := h.rm.RowWriter(h.base)
			if err != nil {
				return fmt.Errorf("transplant: calibration: unseen rows: %w", err)
			}
			sc = &massScratch{rw: rw, rows: make([]float32, massBlock*h.base.Cols), logits: make([]float32, states.Rows*massBlock), unseen: make([]bool, massBlock)}
		}
		parts[b] = h.massOf(sc, states, b)
		scratch.Put(sc)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	rest, unseen = make([]float64, states.Rows), make([]float64, states.Rows)
	for c := range rest {
		rest[c], unseen[c] = math.Inf(-1), math.Inf(-1)
	}
	for _, p := range parts {
		for c := range rest {
			rest[c] = logAddExp(rest[c], p[2*c])
			unseen[c] = logAddExp(unseen[c], p[2*c+1])
		}
	}
	return rest, unseen, nil
}

// massScratch is what massOf works in.
type massScratch struct {
	rw     *heuristics.RowWriter
	rows   []float32
	logits []float32
	unseen []bool
}

// massOf returns, per state, log Σ exp of block b's logits over the rest
// and over the unseen rows, interleaved.
func (h *newHead) massOf(sc *massScratch, states blas32.General, b int) []float64 {
	width, n := h.base.Cols, states.Rows
	rows := blas32.General{Rows: min(massBlock, len(h.anchors)+len(h.rm.Rows)-b*massBlock), Cols: width, Stride: width, Data: sc.rows}
	h.fill(rows, sc.unseen, b*massBlock, sc.rw)
	fastblas.Float32().Sgemm(blas.NoTrans, blas.Trans, n, rows.Rows, width, 1,
		states.Data, states.Stride, rows.Data, rows.Stride, 0, sc.logits, rows.Rows)
	p := make([]float64, 2*n)
	for c := range n {
		p[2*c], p[2*c+1] = logSumExpSplit(sc.logits[c*rows.Rows:(c+1)*rows.Rows], sc.unseen[:rows.Rows])
	}
	return p
}

// fill writes the head's rows from lo on into dst, and flags the unseen.
func (h *newHead) fill(dst blas32.General, unseen []bool, lo int, rw *heuristics.RowWriter) {
	width := h.base.Cols
	for k := range dst.Rows {
		row := dst.Data[k*dst.Stride : k*dst.Stride+width]
		if i := lo + k - len(h.anchors); i >= 0 {
			rw.Row(row, i)
			unseen[k] = !h.fitted[i]
			continue
		}
		a := h.anchors[lo+k]
		copy(row, h.base.Data[a.Old*h.base.Stride:a.Old*h.base.Stride+width])
		for j, v := range h.corr[a.New] {
			row[j] += v
		}
		unseen[k] = false
	}
}

// logSumExpSplit is log Σ exp of the values not flagged and of those
// flagged, -Inf for an empty sum.
func logSumExpSplit(v []float32, flag []bool) (rest, flagged float64) {
	mr, mf := math.Inf(-1), math.Inf(-1)
	for k, x := range v {
		if flag[k] {
			mf = max(mf, float64(x))
		} else {
			mr = max(mr, float64(x))
		}
	}
	var sr, sf float64
	for k, x := range v {
		if flag[k] {
			sf += math.Exp(float64(x) - mf)
		} else {
			sr += math.Exp(float64(x) - mr)
		}
	}
	return mr + math.Log(sr), mf + math.Log(sf)
}

// logAddExp is log(exp(a) + exp(b)).
func logAddExp(a, b float64) float64 {
	if math.IsInf(a, -1) {
		return b
	}
	if math.IsInf(b, -1) {
		return a
	}
	m := max(a, b)
	return m + math.Log(math.Exp(a-m)+math.Exp(b-m))
}
