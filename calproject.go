package transplant

import (
	"bytes"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/tokenizer"
)

// A recutProjection fits the recut rows (see recutRow) without a donor,
// to the base's own predictions carried over to the new vocabulary. The
// base cannot say how likely a lone space is where it would have put a
// run of spaces, but it can say how likely the run is, and the new
// tokenizer begins a run of spaces with a lone space. So each recut token
// r gets B_r, the old tokens the new tokenizer, cutting their bytes,
// begins with r (its own old id among them), and at every stride-th
// position between two new tokens of the calibration text, as a donor
// would give one, the target
//
//	y_r = log Σ_{b ∈ B_r} exp(logit_b(h))
//
// the base's logit for "the next bytes begin as r does". It gives r the
// probability the base gives the runs, which the new vocabulary lacks.
//
// That holds where the base's own cut of the text has a token boundary.
// Inside one of its tokens (after the first lone spaces of a run the base
// reads as one token) the base, having read what it never reads so, says
// little about what comes next. There the sample takes the base's
// prediction at the last position both cuts share, before the text s
// read since, and keeps to the old tokens that begin with s:
//
//	P(r) = Σ_{b ⊋ s, b∖s begins with r} p₀(b) / Σ_{b ⊒ s} p₀(b)
//	     + p₀(s) / Σ_{b ⊒ s} p₀(b) · exp(y_r − log Z)
//	y_r' = log max(P(r), minProjected) − log max(1 − Σ_r' P(r'), minRest)
//	     + log Σ_{k ∉ ∪B} exp(logit_k)
//
// p₀ the base's probabilities there, b∖s the bytes of b after s, Z the
// base's normalizer at the sample: the old token that began the run either
// goes on (and the new tokenizer begins the rest with r or not) or ends
// with s (and the base's prediction where it stands takes over). The
// target gives r the probability P(r) next to the rest of the vocabulary
// as the base scores it there, outside every B_r, as a donor's target does
// (see donorReader); log Z + log P(r) instead left it far less wherever
// the base, having read lone spaces, gave the runs themselves little.
// At a base cut the two agree: y_r is that target for P(r) = Σ_{B_r} p.
//
// The rows are fitted from the base's row to these targets as a donor's
// (fitRecut). Only rows with some old token besides their own are kept:
// for the others the target is the base's own logit, which the base row
// already gives.
//
// Onto GPT-2's tokenizer without a donor (12 rows, the lone space's B_r
// holding 237 old tokens: the runs of spaces and the spaced punctuation
// GPT-2 spells as a space and a piece), held-out text went from 1.0999 of
// the base's bits per byte to 1.0880 with the first rule alone, 1.0676
// with both and 1.0613 with the target normalized against the rest,
// licenses from 1.0941 to 1.0643, 1.0179 and 1.0093, Python docs from
// 1.0750 to 1.0608, 1.0298 and 1.0230, Go doc comments from 1.0148 to
// 1.0150, 1.0137 and 1.0135. Normalized, a lone space inside a run of
// Python docs costs 0.2–0.3 nats instead of 1.3–1.8 (0.2–0.5 with the row
// fitted to a donor). Targets at the recut tokens' occurrences alone (the base's
// probability of the old tokens that begin the text there and cover the
// token's bytes) gained about half what the first rule did.
type recutProjection struct {
	rows   []recutRow
	sets   [][]int       // per row: B_r, old ids
	paths  [][]recutPath // per row: old tokens the base goes on from into it
	except []int         // the union of the sets
	// subset holds the old tokens of the sets and the paths, whose logits
	// every sample reads; cols and pathCols are their columns, row by row.
	subset         headSubset
	cols, pathCols [][]int
	row            map[int]int
	stride         int
	next           int // the first new token of the stream not yet read

	newTok  *tokenizer.Tokenizer
	old     oldPrefixes
	firstOf map[string]int // the new id a byte string begins with, -1 for none
}

// minProjected bounds a recut token's probability inside a base token
// from below, so that a target stays finite where the base rules it out.
const minProjected = 1e-6

// projectRecut sets cs up to fit the recut rows to the base's projection,
// when o lets them be fitted and the donor, if any, does not fit them
// alone (its weight is below 1), and returns the projection, or nil when
// no row needs it. Without a donor it chooses the recut rows.
func (s *Session) projectRecut(st *calStream, cs *calSamples, o CalibrationOptions, width int) *recutProjection {
	if o.KeepRecut || cs.donor != nil && cs.donorWeight >= 1 {
		return nil
	}
	rows := cs.recut
	if cs.donor == nil {
		rows = s.recutRowsOf(st, o.recutOccurrences)
	}
	if len(rows) == 0 {
		return nil
	}
	rp := s.recutProjectionOf(st, rows, width)
	if len(rp.rows) == 0 {
		return nil
	}
	cs.projection, cs.projected = newDonorSums(width, len(rp.rows)), rp.rows
	if cs.donor == nil {
		cs.recut = rp.rows
	}
	return rp
}

// recutProjectionOf prepares the projection for rows on st's text, for a
// head of the given width; it keeps the rows that need a fit.
func (s *Session) recutProjectionOf(st *calStream, rows []recutRow, width int) *recutProjection {
	rp := &recutProjection{row: map[int]int{}, stride: donorStride(len(st.newIDs), width), newTok: s.newTok, old: oldPrefixesOf(s.oldTok), firstOf: map[string]int{}}
	index := map[int]int{}
	for k, r := range rows {
		index[r.new] = k
	}
	sets := make([][]int, len(rows))
	for i, b := range rp.old.bytes {
		if k, ok := index[rp.first(b)]; ok {
			sets[k] = append(sets[k], rp.old.ids[i])
		}
	}
	rowBytes := make([]string, len(rows))
	for k, r := range rows {
		rowBytes[k] = string(s.newTok.Surface(r.new).Bytes)
	}
	paths := rp.pathsOf(st, rows, rowBytes)
	for k, r := range rows {
		if len(sets[k]) > 1 || len(sets[k]) == 1 && sets[k][0] != r.old || len(paths[k]) > 0 {
			slices.Sort(sets[k])
			rp.row[r.new] = len(rp.rows)
			rp.rows, rp.sets, rp.paths = append(rp.rows, r), append(rp.sets, sets[k]), append(rp.paths, paths[k])
			rp.except = append(rp.except, sets[k]...)
		}
	}
	rp.columns()
	return rp
}

// columns sets rp's subset and its columns from its sets and paths.
func (rp *recutProjection) columns() {
	olds := slices.Concat(rp.sets...)
	for _, ps := range rp.paths {
		for _, p := range ps {
			olds = append(olds, p.old)
		}
	}
	rp.subset = newHeadSubset(olds)
	for k, set := range rp.sets {
		pathCols := make([]int, len(rp.paths[k]))
		for i, p := range rp.paths[k] {
			pathCols[i] = rp.subset.col[p.old]
		}
		rp.cols, rp.pathCols = append(rp.cols, rp.subset.cols(set)), append(rp.pathCols, pathCols)
	}
}

// first is the new id the new tokenizer begins b with, or -1 when its cut
// of b does not spell b (it adds or changes bytes).
func (rp *recutProjection) first(b string) int {
	if id, ok := rp.firstOf[b]; ok {
		return id
	}
	id := -1
	if ids := rp.newTok.Encode(b, false); len(ids) > 0 && bytes.Equal(rp.newTok.SurfaceBytes(ids), []byte(b)) {
		id = ids[0]
	}
	rp.firstOf[b] = id
	return id
}

// read returns the samples of a window of the base's pass: the states at
// the sampled positions it holds and, row for row, every recut row's
// target there. Windows come in stream order.
func (rp *recutProjection) read(w *calWindow, st *calStream, head blas32.General) *donorBlock {
	end := w.start + w.states.Rows
	width, n := head.Cols, len(rp.rows)
	b := &donorBlock{states: blas32.General{Cols: width, Stride: width}, targets: blas32.General{Cols: n, Stride: n}}
	var prev []int     // per sample, the old token read last
	var in []insideRun // the samples inside a base token
	for ; rp.next+1 < len(st.pos) && st.pos[rp.next+1]-1 < end; rp.next++ {
		k := rp.next
		at := st.pos[k+1] - 1 // the base's position after token k
		if at < w.start || st.pos[k+1] == st.pos[k] || k%rp.stride != 0 {
			continue
		}
		b.states.Data = appendState(b.states.Data, w.states, at-w.start, width)
		prev = append(prev, st.ids[at])
		if r, ok := rp.inside(w, st, head, k); ok {
			r.sample = b.states.Rows
			in = append(in, r)
		}
		b.states.Rows++
	}
	y := rp.targets(b.states, head, prev)
	rp.applyInside(y, in, b.states, head)
	b.targets.Rows = b.states.Rows
	for _, v := range y {
		b.targets.Data = append(b.targets.Data, float32(v))
	}
	return b
}

// targets returns, row-major by sample, every row's target y_r at the
// given states where the old token read last is prev.
func (rp *recutProjection) targets(states, head blas32.General, prev []int) []float64 {
	all := rp.subset.logits(states, head)
	m := len(rp.subset.ids)
	y := make([]float64, 0, states.Rows*len(rp.rows))
	var logits []float64
	for i := range states.Rows {
		row := all[i*m : (i+1)*m]
		for k, cols := range rp.cols {
			logits = logits[:0]
			for _, c := range cols {
				logits = append(logits, float64(row[c]))
			}
			for j, p := range rp.paths[k] {
				if share := p.shareAfter(prev[i]); share > 0 {
					logits = append(logits, float64(row[rp.pathCols[k][j]])+math.Log(share))
				}
			}
			y = append(y, logSumExp(logits))
		}
	}
	return y
}

// An insideRun is a sample inside a base token that began at an earlier
// shared cut: per row, the first term of P(r), and the share of the old
// tokens ending with the text read since.
type insideRun struct {
	sample int
	begin  []float64
	ends   float64
}

// inside reports whether the position after new token k lies inside a
// token of the base's own cut that began, no longer ago than its longest
// token, where a new token began too and the window holds the state
// before it; then it returns the sample's terms.
func (rp *recutProjection) inside(w *calWindow, st *calStream, head blas32.General, k int) (insideRun, bool) {
	pos := st.start[k+1]
	if pos < 0 || st.cut[pos] {
		return insideRun{}, false
	}
	j := k
	for j >= 0 && st.start[j] >= 0 && pos-st.start[j] < rp.old.longest && !st.cut[st.start[j]] {
		j--
	}
	if j < 0 || st.start[j] < 0 || pos-st.start[j] >= rp.old.longest || st.pos[j]-1 < w.start {
		return insideRun{}, false
	}
	s := st.text[st.start[j]:pos]
	ids, rest := rp.old.with(s)
	if len(ids) == 0 {
		return insideRun{}, false
	}
	logits := logitsOf(nil, w.states, st.pos[j]-1-w.start, head, ids)
	z := logSumExp(logits)
	r := insideRun{begin: make([]float64, len(rp.rows))}
	for i, b := range rest {
		p := math.Exp(logits[i] - z)
		if b == "" {
			r.ends += p
		} else if row, ok := rp.row[rp.first(b)]; ok {
			r.begin[row] += p
		}
	}
	return r, true
}

// applyInside turns the targets of the samples inside a base token (y,
// row-major by sample) into y_r'.
func (rp *recutProjection) applyInside(y []float64, in []insideRun, states, head blas32.General) {
	if len(in) == 0 {
		return
	}
	width, n := states.Cols, len(rp.rows)
	sub := blas32.General{Rows: len(in), Cols: width, Stride: width, Data: make([]float32, 0, len(in)*width)}
	for _, r := range in {
		sub.Data = append(sub.Data, states.Data[r.sample*width:(r.sample+1)*width]...)
	}
	logZ, logRest := logNormalizers(sub, head, rp.except)
	p := make([]float64, n)
	for i, r := range in {
		total := 0.0
		for k := range n {
			p[k] = r.begin[k] + r.ends*math.Exp(y[r.sample*n+k]-logZ[i])
			total += p[k]
		}
		shift := logRest[i] - math.Log(max(1-total, minRest))
		for k := range n {
			y[r.sample*n+k] = shift + math.Log(max(p[k], minProjected))
		}
	}
}

// logitsOf sets dst, reusing its storage, to the base's logits of ids at
// state i.
func logitsOf(dst []float64, states blas32.General, i int, head blas32.General, ids []int) []float64 {
	dst = dst[:0]
	for _, id := range ids {
		dst = append(dst, dotRow(states, i, head, id))
	}
	return dst
}

// logSumExp is log Σ exp(x) of a non-empty x.
func logSumExp(x []float64) float64 {
	top := math.Inf(-1)
	for _, v := range x {
		top = max(top, v)
	}
	sum := 0.0
	for _, v := range x {
		sum += math.Exp(v - top)
	}
	return top + math.Log(sum)
}

// oldPrefixes are the base's ordinary tokens (neither special nor unused)
// sorted by their bytes, for finding those that begin with given bytes.
type oldPrefixes struct {
	bytes   []string
	ids     []int
	longest int
}

func oldPrefixesOf(tok *tokenizer.Tokenizer) oldPrefixes {
	var o oldPrefixes
	for id := range tok.VocabSize() {
		sf := tok.Surface(id)
		if sf.Special || sf.Unused || len(sf.Bytes) == 0 {
			continue
		}
		o.ids = append(o.ids, id)
		o.longest = max(o.longest, len(sf.Bytes))
	}
	slices.SortStableFunc(o.ids, func(a, b int) int { return bytes.Compare(tok.Surface(a).Bytes, tok.Surface(b).Bytes) })
	for _, id := range o.ids {
		o.bytes = append(o.bytes, string(tok.Surface(id).Bytes))
	}
	return o
}

// with returns the tokens whose bytes begin with s, and for each the bytes
// after s.
func (o *oldPrefixes) with(s []byte) (ids []int, rest []string) {
	p := string(s)
	for i := sort.SearchStrings(o.bytes, p); i < len(o.bytes) && strings.HasPrefix(o.bytes[i], p); i++ {
		ids, rest = append(ids, o.ids[i]), append(rest, o.bytes[i][len(p):])
	}
	return ids, rest
}
