package transplant

import (
	"context"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"

	"github.com/transplant-dev/transplant/eval/forward"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/internal/fastblas"
)

// Some tokenizers cut a space off the word it begins and give it to the
// token before: Phi-2's (CodeGen's) runs of spaces are added tokens that
// take an indentation whole, leaving "If" where the base read "▁If";
// Falcon's pre-tokenizer parts punctuation from the space before it, so
// " (" is the lone space "Ġ" then "(", where Mistral's has "▁(". After
// such a token the base's state favours "▁If" and "▁(", which the new
// tokenizer never writes there, over "If" and "(", which it does: on
// calib.txt onto Phi-2's tokenizer the token after a run of spaces cost
// 10.9 nats.
//
// The head cannot see what it read last, but the final state can: after
// such a token it stands apart (on A, along u below, 319 ± 58 where every
// other position gives 0.6 ± 18). So fitSpaceSplits runs the transplant
// over the calibration text in the new tokenizer's ids and takes
//
//	u = Σ⁻¹ (s̄_split − s̄)
//
// (Fisher's discriminant: s̄_split the mean state before a token whose
// space the previous token holds, s̄ and Σ the mean and covariance of the
// states elsewhere, Σ with a ridge of spaceSplitRidge times its mean
// variance), and adds to the head row w_X of every token X whose bytes,
// after a space, are a token c of the base's vocabulary
//
//	((w_c − w_X)·s̄_split / u·s̄_split) u
//
// so that at s̄_split X scores what the base gives c, and elsewhere, where
// u·s is near 0, about what it scored; X ranges over the tokens the new
// tokenizer can put after the token that most often takes the space
// (splitFollowers). The fit is applied only when it is estimated to lower
// the bits of the calibration text (bitsChange). In a prototype (rows as
// the default makes them onto Phi-2's tokenizer, A the base), the token
// after a run of spaces went from 10.9 to 6.4 nats on calib.txt's other
// half, every other token from 5.0037 to 5.0061. Measured on held-out
// texts (transplant run --base A --tokenizer phi-2 --calibration-text
// calib.txt, then transplant eval --baseline A), dev text, Go doc
// comments, licenses, Python docs: 1.0725, 1.0138, 1.0452, 1.0378 →
// 1.0659, 1.0148, 1.0308, 1.0333 (mean rows: 1.1428, 1.0227, 1.0725,
// 1.0475); 6,594 rows moved, estimated to save 13,270 bits of calib.txt.
const (
	minSpaceSplits  = 20
	spaceSplitRidge = 1e-3
	maxSpaceSplits  = 4096  // positions before a split token read, spread over the text
	maxOtherStates  = 16384 // states elsewhere, for s̄ and Σ
)

// spaceSplits lists the positions j of st.newIDs whose token begins just
// after a space that the token before it holds, where the base's tokenizer
// starts a token at that space and goes on into this one.
func (st *calStream) spaceSplits() []int {
	var js []int
	for j := 1; j < len(st.newIDs); j++ {
		o := st.start[j]
		if st.newIDs[j] < 0 || st.newIDs[j-1] < 0 || o < 1 || st.start[j-1] < 0 {
			continue
		}
		if st.text[o-1] == ' ' && st.cut[o-1] && !st.cut[o] {
			js = append(js, j)
		}
	}
	return js
}

// spacePairs maps each new id X whose bytes do not begin with a space to
// the old id spelled with a space before them, where the base has one.
func (s *Session) spacePairs() map[int]int {
	old := map[string]int{}
	for id := range s.oldTok.VocabSize() {
		if sf := s.oldTok.Surface(id); !sf.Special && !sf.Unused && !sf.ByteFallback && len(sf.Bytes) > 1 && sf.Bytes[0] == ' ' {
			old[string(sf.Bytes)] = id
		}
	}
	pairs := map[int]int{}
	for id := range min(s.newTok.VocabSize(), s.alignment.Rows) {
		sf := s.newTok.Surface(id)
		if sf.Special || sf.Unused || len(sf.Bytes) == 0 || sf.Bytes[0] == ' ' {
			continue
		}
		if o, ok := old[" "+string(sf.Bytes)]; ok {
			pairs[id] = o
		}
	}
	return pairs
}

// mostCommonBefore is the token that most often holds the space of a
// split token (ties to the smaller id).
func mostCommonBefore(st *calStream, splits []int) int {
	count := map[int]int{}
	best := -1
	for _, j := range splits {
		a := st.newIDs[j-1]
		count[a]++
		if best < 0 || count[a] > count[best] || count[a] == count[best] && a < best {
			best = a
		}
	}
	return best
}

// splitFollowers keeps the pairs whose token the new tokenizer cuts off
// after a, the token that holds the space: the tokens that can be read
// right after a split. Onto Falcon's tokenizer, whose lone space only
// punctuation follows, "If" is not one ("ĠIf" is one token) but "(" is;
// boosting every word after the lone space cost 0.001 to 0.006 of the
// ratio on every text.
func (s *Session) splitFollowers(pairs map[int]int, a int) map[int]int {
	keep := map[int]int{}
	before := s.newTok.Surface(a).Bytes
	for x, c := range pairs {
		ids := s.newTok.Encode(string(before)+string(s.newTok.Surface(x).Bytes), false)
		if len(ids) == 2 && ids[0] == a && ids[1] == x {
			keep[x] = c
		}
	}
	return keep
}

// splitStates are the transplant's final states over the calibration
// text: before a split token is read, and elsewhere.
type splitStates struct {
	split, other [][]float32
	// splitNext and otherNext are the tokens read next, -1 past a
	// window's end.
	splitNext, otherNext []int
	// prefixSum holds, for the k-th token of the prefixes statesOf was
	// given, the sum of the states right after it is read (at
	// k·width), prefixN how many.
	prefixSum []float64
	prefixN   []int
}

// direction is u and u·s̄_split; ok is false when the states cannot tell
// split positions apart.
func (ss *splitStates) direction(width int) (u []float64, us float64, ok bool) {
	mSplit, mOther := meanOf(ss.split, width), meanOf(ss.other, width)
	cov := secondMoment(ss.other, mOther, width)
	var trace float64
	for a := range width {
		trace += cov.At(a, a)
	}
	for a := range width {
		cov.SetSym(a, a, cov.At(a, a)+spaceSplitRidge*trace/float64(width))
	}
	var ch mat.Cholesky
	if !ch.Factorize(cov) {
		return nil, 0, false
	}
	d := mat.NewVecDense(width, nil)
	for a := range width {
		d.SetVec(a, mSplit[a]-mOther[a])
	}
	var x mat.VecDense
	if err := ch.SolveVecTo(&x, d); err != nil {
		return nil, 0, false
	}
	u = x.RawVector().Data
	for a := range width {
		us += u[a] * mSplit[a]
	}
	return u, us, us > 0
}

func meanOf(rows [][]float32, width int) []float64 {
	m := make([]float64, width)
	for _, r := range rows {
		for a, v := range r {
			m[a] += float64(v)
		}
	}
	for a := range m {
		m[a] /= float64(max(len(rows), 1))
	}
	return m
}

// spaceSplitShifts is, for each pair X → c of pairs, the multiple of u
// that fitSpaceSplits adds to X's head row: head holds the transplant's
// rows, base the base's.
func spaceSplitShifts(pairs map[int]int, head, base func(id int) []float32, us float64, split []float64) map[int]float64 {
	shifts := make(map[int]float64, len(pairs))
	for x, c := range pairs {
		wx, wc := head(x), base(c)
		var gain float64
		for a, s := range split {
			gain += (float64(wc[a]) - float64(wx[a])) * s
		}
		shifts[x] = gain / us
	}
	return shifts
}

// deltasOf is each row's shift times u.
func deltasOf(shifts map[int]float64, u []float64) map[int][]float32 {
	deltas := make(map[int][]float32, len(shifts))
	for x, k := range shifts {
		d := make([]float32, len(u))
		for a := range u {
			d[a] = float32(k * u[a])
		}
		deltas[x] = d
	}
	return deltas
}

// addDeltas adds deltas to rm's rows: to a built row's Delta, or to the
// correction of a copied one.
func addDeltas(rm *heuristics.Map, deltas map[int][]float32) {
	rowOfID := make(map[int]int, len(rm.Rows))
	for i, r := range rm.Rows {
		rowOfID[r.ID] = i
	}
	corr := make(map[int]int, len(rm.Corrections))
	for i, c := range rm.Corrections {
		corr[c.ID] = i
	}
	for id, d := range deltas {
		switch i, ok := rowOfID[id]; {
		case ok:
			rm.Rows[i].Delta = plus(rm.Rows[i].Delta, d)
		default:
			if k, ok := corr[id]; ok {
				rm.Corrections[k].Delta = plus(rm.Corrections[k].Delta, d)
			} else {
				rm.Corrections = append(rm.Corrections, heuristics.Correction{ID: id, Delta: d})
			}
		}
	}
	slices.SortFunc(rm.Corrections, func(a, b heuristics.Correction) int { return a.ID - b.ID })
}

// bitsChange estimates what adding deltas to head's rows changes in the
// bits of the calibration text: the change at the kept states, before a
// split and elsewhere, each scaled to the splits and the other tokens of
// the text. A fit that does not lower it is not applied: onto Falcon's
// tokenizer, whose lone space the base reads as the space it puts before
// digits, the state after it says little of what the base would give the
// punctuation that follows, and the shifts cost 0.001 to 0.005 of the
// ratio on every text.
func (ss *splitStates) bitsChange(ctx context.Context, head blas32.General, deltas map[int][]float32, splits, others int) (float64, error) {
	d := denseDeltas(deltas, head.Cols)
	split, err := nllChange(ctx, head, ss.split, ss.splitNext, d)
	if err != nil {
		return 0, err
	}
	other, err := nllChange(ctx, head, ss.other, ss.otherNext, d)
	if err != nil {
		return 0, err
	}
	return (split.perState()*float64(splits) + other.perState()*float64(others)) / math.Ln2, nil
}

// An nllSum is a sum of changes in NLL over states.
type nllSum struct {
	nats   float64
	states int
}

func (n nllSum) perState() float64 { return n.nats / float64(max(n.states, 1)) }

// gateStates bounds the states of each kind bitsChange scores, spread
// evenly over those kept; gateBlock is the states whose logits it holds
// at once.
const (
	gateStates = 1024
	gateBlock  = 64
)

// rowDeltas are changes to some rows of a head: row ids[i] changes by
// the i-th row of d.
type rowDeltas struct {
	ids []int
	d   blas32.General
}

func denseDeltas(deltas map[int][]float32, width int) rowDeltas {
	ids := slices.Sorted(maps.Keys(deltas))
	d := blas32.General{Rows: len(ids), Cols: width, Stride: width, Data: make([]float32, len(ids)*width)}
	for i, id := range ids {
		copy(d.Data[i*width:(i+1)*width], deltas[id])
	}
	return rowDeltas{ids: ids, d: d}
}

// nllChange sums, over states with a next token, how much the deltas
// change the NLL of that token under head.
func nllChange(ctx context.Context, head blas32.General, states [][]float32, next []int, rd rowDeltas) (nllSum, error) {
	var picked []int
	step := max(len(states)/gateStates, 1)
	for k := 0; k < len(states); k += step {
		if next[k] >= 0 {
			picked = append(picked, k)
		}
	}
	width, V, n := head.Cols, head.Rows, len(rd.ids)
	block := make([]float32, gateBlock*width)
	logits := make([]float32, gateBlock*V)
	change := make([]float32, gateBlock*max(n, 1))
	var sum nllSum
	for b0 := 0; b0 < len(picked); b0 += gateBlock {
		if err := ctx.Err(); err != nil {
			return nllSum{}, err
		}
		m := min(gateBlock, len(picked)-b0)
		for i := range m {
			copy(block[i*width:(i+1)*width], states[picked[b0+i]])
		}
		fastblas.Float32().Sgemm(blas.NoTrans, blas.Trans, m, V, width, 1, block, width, head.Data, head.Stride, 0, logits, V)
		if n > 0 {
			fastblas.Float32().Sgemm(blas.NoTrans, blas.Trans, m, n, width, 1, block, width, rd.d.Data, rd.d.Stride, 0, change, n)
		}
		for i := range m {
			k := picked[b0+i]
			l := logits[i*V : (i+1)*V]
			before := logSumExp32(l) - float64(l[next[k]])
			for c, x := range rd.ids {
				l[x] += change[i*n+c]
			}
			sum.nats += logSumExp32(l) - float64(l[next[k]]) - before
			sum.states++
		}
	}
	return sum, nil
}

// logSumExp32 is log Σ exp(x) in float64.
func logSumExp32(x []float32) float64 {
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	var sum float64
	for _, v := range x {
		sum += math.Exp(float64(v - m))
	}
	return float64(m) + math.Log(sum)
}

// cloneMap copies m so that its rows and corrections can change.
func cloneMap(m *heuristics.Map) *heuristics.Map {
	c := *m
	c.Rows = slices.Clone(m.Rows)
	c.Corrections = slices.Clone(m.Corrections)
	return &c
}

// plus returns delta + d in a new slice (delta may be nil).
func plus(delta, d []float32) []float32 {
	out := slices.Clone(d)
	addTo(out, delta)
	return out
}

// A splitWindow is a window of the transplant's ids and the positions in
// it whose states are kept: before a split token (split), or sampled
// among the others every otherStride positions.
type splitWindow struct {
	ids   []int
	split []bool
	// skip marks positions before a split token that the thinning left
	// out: neither split nor other (nil when none).
	skip []bool
}

// splitWindows cuts the calibration stream, in new ids (BOS where a chunk
// starts, when the model has one), into windows of n ids and marks the
// positions before a split token, evenly, at most about maxSpaceSplits of
// them. It keeps every window when all is set (the continuation fit reads
// the whole text), else only those with a marked position.
func splitWindows(st *calStream, splits []int, bos, n int, all bool) []splitWindow {
	var ids []int
	before := map[int]bool{} // positions in ids before a split token
	next := 0
	for j, id := range st.newIDs {
		if id < 0 {
			if bos < 0 {
				continue
			}
			id = bos
		}
		if next < len(splits) && splits[next] == j {
			if len(ids) > 0 {
				before[len(ids)-1] = true
			}
			next++
		}
		ids = append(ids, id)
	}
	every := 1 // reading every window, mark every every-th split
	if all {
		every = max(len(splits)/maxSpaceSplits, 1)
	}
	var wins []splitWindow
	count := 0 // positions before a split token
	for w0 := 0; w0 < len(ids); w0 += n {
		w := splitWindow{ids: ids[w0:min(w0+n, len(ids))]}
		w.split = make([]bool, len(w.ids))
		has := false
		for p := range w.ids {
			if before[w0+p] && p+1 < len(w.ids) {
				if count%every == 0 {
					w.split[p] = true
				} else {
					if w.skip == nil {
						w.skip = make([]bool, len(w.ids))
					}
					w.skip[p] = true
				}
				has = true
				count++
			}
		}
		if all || has {
			wins = append(wins, w)
		}
	}
	keep := count / maxSpaceSplits
	if all || keep <= 1 {
		return wins
	}
	var kept []splitWindow
	for i := 0; i < len(wins); i += keep {
		kept = append(kept, wins[i])
	}
	return kept
}

// statesOf runs m over the windows and gathers the states they mark,
// about maxOtherStates of the rest, and the sums of the states after each
// token of prefixes (new id → index).
func statesOf(ctx context.Context, m *forward.Model, wins []splitWindow, prefixes map[int]int, progress func(done, total int64)) (*splitStates, error) {
	width := m.Config().Hidden
	total := 0
	for _, w := range wins {
		total += len(w.ids)
	}
	stride := max(total/maxOtherStates, 1)
	ss := &splitStates{prefixSum: make([]float64, len(prefixes)*width), prefixN: make([]int, len(prefixes))}
	done, seen := 0, 0
	read := func(w splitWindow) ([]float32, error) {
		states := make([]float32, len(w.ids)*width)
		nll, targets := make([]float64, len(w.ids)), make([]int, len(w.ids))
		for i := range targets {
			targets[i] = -1
		}
		if err := m.NLLStates(nll, states, w.ids, targets); err != nil {
			return nil, err
		}
		return states, nil
	}
	use := func(states []float32) error {
		w := wins[done]
		for p := range w.ids {
			// Kept rows are copies: a slice would hold the whole window's states.
			row := states[p*width : (p+1)*width]
			next := -1
			if p+1 < len(w.ids) {
				next = w.ids[p+1]
			}
			switch {
			case w.split[p]:
				ss.split, ss.splitNext = append(ss.split, slices.Clone(row)), append(ss.splitNext, next)
			case w.skip != nil && w.skip[p]: // a split the thinning left out
			case seen%stride == 0:
				ss.other, ss.otherNext = append(ss.other, slices.Clone(row)), append(ss.otherNext, next)
			}
			if !w.split[p] && (w.skip == nil || !w.skip[p]) {
				seen++
			}
			if k, ok := prefixes[w.ids[p]]; ok {
				ss.prefixN[k]++
				for a, v := range row {
					ss.prefixSum[k*width+a] += float64(v)
				}
			}
		}
		done++
		if progress != nil {
			progress(int64(done), int64(len(wins)))
		}
		return nil
	}
	if err := inOrder(ctx, wins, read, use); err != nil {
		return nil, err
	}
	return ss, nil
}

// fitTransplant runs the transplant b has built so far over the
// calibration text once and corrects its head where that pass shows it
// wrong: right after a token that took the next one's space
// (fitSpaceSplits), then right after the first piece of a word the base
// reads whole (fitContinuations). Nothing when the head has a bias.
func (s *Session) fitTransplant(ctx context.Context, b *Built, head *BuiltTable, text []byte, o CalibrationOptions, rep *CalibrationReport) error {
	start := time.Now()
	defer func() { rep.Seconds += time.Since(start).Seconds() }()
	if o.KeepSpaceSplits && o.KeepContinuations || head.Table.Bias != "" {
		return nil
	}
	st := s.calStreamOf(prefixAtLine(text, or(o.MaxBytes, DefaultCalibrationBytes)), -1) // what Calibrate read
	var splits []int
	if !o.KeepSpaceSplits {
		splits = st.spaceSplits()
		rep.SpaceSplits = len(splits)
	}
	if len(splits) < minSpaceSplits {
		splits = nil
	}
	var fam *continuationFamilies
	if !o.KeepContinuations {
		fam = s.continuationFamiliesOf()
	}
	if splits == nil && fam == nil {
		return nil
	}
	model, tables, err := s.builtModel(ctx, func(t Table) (*heuristics.Map, error) { return b.table(t.Role).Map, nil })
	if err != nil {
		return err
	}
	bos := model.Config().BOS
	if bos < 0 {
		bos = s.newTok.Specials().BOS
	}
	wins := splitWindows(st, splits, bos, min(model.Context(), calWindowTokens), fam != nil)
	var progress func(done, total int64)
	if o.Progress != nil {
		progress = func(done, total int64) { o.Progress("transplant pass", done, total) }
	}
	passStart := time.Now()
	ss, err := statesOf(ctx, model, wins, fam.indexOf(), progress)
	rep.PassSeconds += time.Since(passStart).Seconds()
	if err != nil {
		return fmt.Errorf("transplant: calibration: transplant pass: %w", err)
	}
	base, err := s.readBase(head.Table, &scratch{})
	if err != nil {
		return err
	}
	fresh := tables[head.Table.Tensor]
	if splits != nil {
		if err := s.fitSpaceSplits(ctx, st, splits, ss, head, fresh, base, rep); err != nil {
			return err
		}
	}
	if fam != nil {
		return fam.fitContinuations(ctx, ss, head, fresh, base, st.tokens, len(splits), rep)
	}
	return nil
}

// fitSpaceSplits adds to head's map the corrections that make tokens read
// after a space split off score as the base scores them with their space
// (see minSpaceSplits), and to fresh, the head as the transplant has it,
// the same rows.
func (s *Session) fitSpaceSplits(ctx context.Context, st *calStream, splits []int, ss *splitStates, head *BuiltTable, fresh, base blas32.General, rep *CalibrationReport) error {
	width := head.Table.Cols
	u, us, ok := ss.direction(width)
	if !ok {
		return nil
	}
	pairs := s.splitFollowers(s.spacePairs(), mostCommonBefore(st, splits))
	shifts := spaceSplitShifts(pairs, func(id int) []float32 { return rowOf(fresh, id) }, func(id int) []float32 { return rowOf(base, id) }, us, meanOf(ss.split, width))
	deltas := deltasOf(shifts, u)
	bits, err := ss.bitsChange(ctx, fresh, deltas, len(splits), st.tokens-len(splits))
	if err != nil {
		return err
	}
	rep.SpaceSplitBits = bits
	if bits < 0 {
		head.Map = cloneMap(head.Map)
		addDeltas(head.Map, deltas)
		addRows(fresh, deltas)
		rep.SpaceSplitRows = len(shifts)
	}
	return nil
}

// addRows adds each delta to its row of m.
func addRows(m blas32.General, deltas map[int][]float32) {
	for id, d := range deltas {
		addTo(rowOf(m, id), d)
	}
}

// secondMoment returns (1/n) Σ (s − mean)(s − mean)ᵀ over the n rows, or
// Σ s sᵀ / n when mean is nil: the products in float32 blocks on
// fastblas's kernel (gonum's float64 rank-k update took 52 s for 8,192
// states of width 4,096 on two busy cores), summed in float64.
func secondMoment(rows [][]float32, mean []float64, width int) *mat.SymDense {
	const block = 256
	sum := make([]float64, width*width)
	buf := make([]float32, block*width)
	prod := make([]float32, width*width)
	for lo := 0; lo < len(rows); lo += block {
		n := min(block, len(rows)-lo)
		for i, r := range rows[lo : lo+n] {
			dst := buf[i*width : (i+1)*width]
			for a, v := range r {
				if mean != nil {
					dst[a] = float32(float64(v) - mean[a])
				} else {
					dst[a] = v
				}
			}
		}
		fastblas.AddGram(sum, n, width, buf, width, prod)
	}
	scale := 1 / float64(max(len(rows), 1))
	for i := range sum {
		sum[i] *= scale
	}
	return mat.NewSymDense(width, sum)
}
