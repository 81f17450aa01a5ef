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
// licenses, where 5–6% of the tokens are theirs, and most of it went to
// tokens of three or more pieces, which are rarer still. lowerUnseen
// lowers them in groups by their number of pieces (unseenGroups), each
// group by one logit shift δ chosen on the calibration text alone: at
// positions spread over it, the group's rows together should take the
// share of its tokens that are new tokens of the group unseen elsewhere in
// it (cut into massParts parts, those of each part that no other part
// holds). That is the moment condition a maximum-likelihood shift of the
// group meets (the log-likelihood's derivative in δ is the group's count
// less its expected count) on text that differs from what was seen as
// much as one part of the calibration text differs from the rest. The
// shifts only ever lower.
//
// Measured on A (first 60 kB of Go doc comments and of licenses; A itself
// 2.658 and 2.199 bits per byte), onto Gemma 3's tokenizer: 2.684 and
// 2.241 with the rows kept; one shift for all (δ = −1.42 nats) 2.636 and
// 2.201; by pieces (δ = −0.80, −2.15, −3.75 and −6.86 for 2, 3, 4 and 5 or
// more) 2.629 and 2.197. Onto Llama 3's, one shift (δ = −0.86) took 2.633
// and 2.164 to 2.628 and 2.153. Cutting the text in two parts rather than
// four lowered less and gained less on all four (2.641, 2.205, 2.628,
// 2.156); Good–Turing's estimate (new tokens seen once: 2.9% and 2.0% of
// the text, against 5–8% on those texts) lowers too far: one fixed
// δ = −2 costs Llama 3 on Go doc comments (2.641).
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

// unseenGroups is how many groups the kept rows are lowered in, each by
// its own shift: by the number of old pieces their token's bytes take, 1
// (or none), 2, … and unseenGroups or more. A token of many pieces is
// rarer than one of two, while the prior gives both about the same
// probability.
const unseenGroups = 5

// groupOf is the group of a token of n old pieces.
func groupOf(n int) int { return min(max(n, 1), unseenGroups) - 1 }

// massSamples are the states of the positions where the kept rows'
// probability is measured: after the last piece of a token, where a model
// on the new tokenizer predicts the next one.
type massSamples struct {
	at     []int // stream positions, ascending
	states blas32.General
	groups []int // per map row
	// target is, per group, the share of the text's tokens that are new
	// tokens of the group absent from the rest of the text, its parts
	// taken in turn.
	target [unseenGroups]float64
}

// massSamplesOf prepares to keep the states of up to n positions of st,
// spread evenly over it, for a head of the given width; groups gives
// each map row's group.
func massSamplesOf(st *calStream, groups []int, n, width int) *massSamples {
	return &massSamples{at: predictingPositions(st, n), states: blas32.General{Cols: width, Stride: width},
		groups: groups, target: unseenShares(st, groups, massParts)}
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

// unseenShares is, per group, the share of st's tokens that are new
// tokens of the group (groups gives each map row's) occurring in one of
// parts equal parts of the text and in no other; at least one token's
// share.
func unseenShares(st *calStream, groups []int, parts int) (shares [unseenGroups]float64) {
	rows := len(groups)
	count := make([]int, rows*parts) // row r's occurrences in part k at r*parts+k
	for _, o := range st.occ {
		count[o.row*parts+o.start*parts/len(st.ids)]++
	}
	var unseen [unseenGroups]int
	for r := range rows {
		c := count[r*parts : (r+1)*parts]
		total := 0
		for _, v := range c {
			total += v
		}
		for _, v := range c {
			if v == total {
				unseen[groups[r]] += v
			}
		}
	}
	for g, n := range unseen {
		shares[g] = float64(max(n, 1)) / float64(max(st.tokens, 1))
	}
	return shares
}

// collect keeps the states of w at the chosen positions.
func (ms *massSamples) collect(w *calWindow) {
	end := w.start + w.states.Rows
	for k := ms.states.Rows; k < len(ms.at) && ms.at[k] < end; k++ {
		ms.states.Data = appendState(ms.states.Data, w.states, ms.at[k]-w.start, ms.states.Cols)
		ms.states.Rows++
	}
}

// lowerUnseen shifts the rows of rm not in fitted, each group by the δ
// that gives the group its target share of the probability at ms's
// positions, with every other row of the new head (shared rows as the
// base has them, corrected, and fitted rows) as it now is.
func lowerUnseen(ctx context.Context, rm *heuristics.Map, fitted []bool, base blas32.General, anchors []heuristics.Anchor, ms *massSamples, rep *CalibrationReport) error {
	if ms == nil || ms.states.Rows == 0 || rep.Kept == 0 {
		return nil
	}
	u, a, err := unitDirection(ms.states)
	if err != nil {
		return err
	}
	group := make([]int, len(rm.Rows)) // each map row's unseen group, -1 when fitted
	var rows [unseenGroups]int
	for i, g := range ms.groups {
		group[i] = -1
		if !fitted[i] {
			group[i] = g
			rows[g]++
		}
	}
	mass, err := newHeadOf(rm, group, base, anchors).logMass(ctx, ms.states)
	if err != nil {
		return err
	}
	d, before := groupShifts(mass, a, ms.target)
	var shift [unseenGroups][]float32
	for g := range unseenGroups {
		if rows[g] == 0 {
			continue
		}
		rep.Unseen = append(rep.Unseen, UnseenGroup{Pieces: g + 1, Rows: rows[g], Mass: before[g], Target: ms.target[g], Shift: d[g]})
		shift[g] = make([]float32, len(u))
		for j, v := range u {
			shift[g][j] = float32(d[g] * float64(v))
		}
	}
	for i, g := range group {
		if g >= 0 && d[g] != 0 {
			lower(&rm.Rows[i], shift[g])
		}
	}
	return nil
}

// lower adds shift to r's Delta and says so in its How.
func lower(r *heuristics.Row, shift []float32) {
	r.How += HowLowered
	if r.Delta == nil {
		r.Delta = shift // shared: nothing writes a row's Delta in place
		return
	}
	d := make([]float32, len(shift))
	for j := range d {
		d[j] = r.Delta[j] + shift[j]
	}
	r.Delta = d
}

// groupShifts returns each group's shift, at most 0, that brings its mean
// share of the probability over the states to target (or leaves it below),
// and its share before. Row changes δ·u move state c's logits by δ·a[c].
// Lowering one group raises the others' shares a little, so the shifts are
// found one group at a time, in a few rounds.
func groupShifts(mass []stateMass, a []float64, target [unseenGroups]float64) (d, before [unseenGroups]float64) {
	share := func(g int) float64 {
		sum := 0.0
		for c, m := range mass {
			total, own := m.rest, 0.0
			for h := range unseenGroups {
				l := m.unseen[h] + d[h]*a[c]
				total = logAddExp(total, l)
				if h == g {
					own = l
				}
			}
			sum += math.Exp(own - total)
		}
		return sum / float64(len(mass))
	}
	for g := range unseenGroups {
		before[g] = share(g)
	}
	for range 4 {
		for g := range unseenGroups {
			d[g] = 0
			if share(g) <= target[g] {
				continue
			}
			lo, hi := -maxUnseenShift, 0.0 // share(lo) < target < share(hi)
			for range 50 {
				d[g] = (lo + hi) / 2
				if share(g) > target[g] {
					hi = d[g]
				} else {
					lo = d[g]
				}
			}
			d[g] = lo
		}
	}
	return d, before
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
	group   []int // per map row: its unseen group, -1 when fitted
	base    blas32.General
	anchors []heuristics.Anchor
	corr    map[int][]float32 // the map's corrections by new id
}

func newHeadOf(rm *heuristics.Map, group []int, base blas32.General, anchors []heuristics.Anchor) *newHead {
	h := &newHead{rm: rm, group: group, base: base, anchors: anchors, corr: make(map[int][]float32, len(rm.Corrections))}
	for _, c := range rm.Corrections {
		h.corr[c.ID] = c.Delta
	}
	return h
}

// stateMass is log Σ exp of a state's logits over the rows that are not
// unseen and over each group of the unseen rows (map rows not fitted).
type stateMass struct {
	rest   float64
	unseen [unseenGroups]float64
}

// add merges another part of the head's rows into m.
func (m *stateMass) add(o stateMass) {
	m.rest = logAddExp(m.rest, o.rest)
	for g, v := range o.unseen {
		m.unseen[g] = logAddExp(m.unseen[g], v)
	}
}

func emptyMass() stateMass {
	m := stateMass{rest: math.Inf(-1)}
	for g := range m.unseen {
		m.unseen[g] = math.Inf(-1)
	}
	return m
}

// logMass returns each state's stateMass. Blocks of rows run on every
// core; their sums are merged in block order, so the result does not
// depend on the number of cores.
func (h *newHead) logMass(ctx context.Context, states blas32.General) ([]stateMass, error) {
	blocks := (len(h.anchors) + len(h.rm.Rows) + massBlock - 1) / massBlock
	parts := make([][]stateMass, blocks)
	var scratch sync.Pool // of *massScratch: one per worker at most
	err := parallelRows(ctx, blocks, func(b int) error {
		sc, _ := scratch.Get().(*massScratch)
		if sc == nil {
			rw, err := h.rm.RowWriter(h.base)
			if err != nil {
				return fmt.Errorf("transplant: calibration: unseen rows: %w", err)
			}
			sc = &massScratch{rw: rw, rows: make([]float32, massBlock*h.base.Cols), logits: make([]float32, states.Rows*massBlock), group: make([]int, massBlock)}
		}
		parts[b] = h.massOf(sc, states, b)
		scratch.Put(sc)
		return nil
	})
	if err != nil {
		return nil, err
	}
	mass := make([]stateMass, states.Rows)
	for c := range mass {
		mass[c] = emptyMass()
		for _, p := range parts {
			mass[c].add(p[c])
		}
	}
	return mass, nil
}

// massScratch is what massOf works in.
type massScratch struct {
	rw     *heuristics.RowWriter
	rows   []float32
	logits []float32
	group  []int // per row of the block: its unseen group, -1 for the rest
}

// massOf returns each state's stateMass over block b's rows.
func (h *newHead) massOf(sc *massScratch, states blas32.General, b int) []stateMass {
	width, n := h.base.Cols, states.Rows
	rows := blas32.General{Rows: min(massBlock, len(h.anchors)+len(h.rm.Rows)-b*massBlock), Cols: width, Stride: width, Data: sc.rows}
	h.fill(rows, sc.group, b*massBlock, sc.rw)
	fastblas.Float32().Sgemm(blas.NoTrans, blas.Trans, n, rows.Rows, width, 1,
		states.Data, states.Stride, rows.Data, rows.Stride, 0, sc.logits, rows.Rows)
	p := make([]stateMass, n)
	for c := range n {
		p[c] = logSumExpGroups(sc.logits[c*rows.Rows:(c+1)*rows.Rows], sc.group[:rows.Rows])
	}
	return p
}

// fill writes the head's rows from lo on into dst, and their groups.
func (h *newHead) fill(dst blas32.General, group []int, lo int, rw *heuristics.RowWriter) {
	width := h.base.Cols
	for k := range dst.Rows {
		row := dst.Data[k*dst.Stride : k*dst.Stride+width]
		group[k] = -1
		if i := lo + k - len(h.anchors); i >= 0 {
			rw.Row(row, i)
			group[k] = h.group[i]
			continue
		}
		a := h.anchors[lo+k]
		copy(row, h.base.Data[a.Old*h.base.Stride:a.Old*h.base.Stride+width])
		for j, v := range h.corr[a.New] {
			row[j] += v
		}
	}
}

// logSumExpGroups is the stateMass of logits v whose rows are in group
// (-1 for the rest).
func logSumExpGroups(v []float32, group []int) stateMass {
	var top [unseenGroups + 1]float64 // the rest last
	for k := range top {
		top[k] = math.Inf(-1)
	}
	at := func(g int) int { return (g + unseenGroups + 1) % (unseenGroups + 1) }
	for k, x := range v {
		top[at(group[k])] = max(top[at(group[k])], float64(x))
	}
	var sum [unseenGroups + 1]float64
	for k, x := range v {
		sum[at(group[k])] += math.Exp(float64(x) - top[at(group[k])])
	}
	m := stateMass{rest: top[unseenGroups] + math.Log(sum[unseenGroups])}
	for g := range unseenGroups {
		m.unseen[g] = top[g] + math.Log(sum[g])
	}
	return m
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
