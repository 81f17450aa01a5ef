package transplant

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/heuristics"
)

// firstPieces are the samples a new token gets where the base reads the
// token's first piece o but the text does not go on into the token: the
// contexts where the token competes with o and loses. There its logit
// should give it what the base gives its first two pieces,
//
//	y = logit_o(h) + log P(q | h, o)
//
// q being its second piece and P the base's probabilities after reading o,
// so that the token takes no more of o's probability than the base would
// let the pair have. The pair's probability is all that the tokens
// beginning with it may take together (the token of two pieces where the
// text goes on otherwise, each longer one where it goes on into it), so
// the tokens sampled here that begin with the same two pieces share it by
// their occurrences in the text (see pairShares). Fitted on these as well
// as on the contexts where it occurs, a row learns where not to fire,
// which the stay contexts, spread over the text, rarely show it.
//
// An extension fits every new row so (see Session.extending): there the
// new tokenizer cuts the text as the old one does but where it joins
// pieces, so that o read alone means the token did not occur. A transplant
// without a donor fits so only the rows of tokens that begin with the same
// two pieces as a token the calibration text holds (heldPairs): fitted on
// its few occurrences, a row carries its logit into contexts it never saw
// (onto Phi-2's tokenizer, after "You" the new "'t" took 20% to 45% of the
// probability on licenses), and the contexts where its first piece stands
// alone, or begins another new token, show it where not to fire; a token
// the text lacks that shares a held token's pair is sampled beside it,
// with the small share the text gives it (see pairShares), and so does not
// take the pair's probability from it. Rows of other pairs keep their
// prior, lowered with the others the text lacks (lowerUnseen): fitted from
// these samples too, onto Llama 3's tokenizer, where 89,000 rows are of
// tokens the text lacks, they took 4.7 million samples and scored 1.0696,
// 0.9945, 0.9936, 0.9717 against 1.0563, 0.9866, 0.9813, 0.9673 (dev
// text, Go doc comments, licenses, Python docs; 0.63 million samples).
// Measured (transplant run --base A --tokenizer T --calibration-text
// calib.txt, then transplant eval --baseline A; the same four texts):
// onto GPT-2's 1.0557, 1.0091, 1.0066, 1.0136 → 1.0522, 1.0098, 1.0030,
// 1.0128 fitting only the rows the text holds; onto Phi-2's 1.0557,
// 1.0121, 1.0192, 1.0180 → 1.0521, 1.0137, 1.0150, 1.0183; onto Falcon's
// 1.0840, 1.0039, 1.0256, 1.0210 → 1.0820, 1.0072, 1.0139, 1.0203. With
// the pair shares, adding the rows that share a held pair: Falcon's
// 1.0809, 1.0053, 1.0153, 1.0189 → 1.0811, 1.0048, 1.0140, 1.0175; Llama
// 3's 1.0561, 0.9879, 0.9808, 0.9694 → 1.0563, 0.9866, 0.9813, 0.9673;
// over six tokenizers' 24 entries 9 gain, 12 lose (by up to 0.0006,
// Gemma 3's) and the mean gains 0.0002 (README, "What to expect").
// Where the donor's predictions are fitted, they stand in.
type firstPieces struct {
	next    map[int][]firstNext // old id → the new tokens it begins
	states  [][]float32         // per map row, contexts×width row-major
	targets [][]float64
	// occurs maps the stream position of a new token's first piece to
	// the token's map row.
	occurs map[int]int
	// sampled lists, per stream position, the new tokens (indices into
	// next) that take a sample there; planned counts them per map row,
	// so that each row's states are allocated once, to size: they are
	// most of calibration's memory without a donor.
	sampled map[int][]int
	planned []int
}

type firstNext struct {
	row, second int
	// logShare is the log of the token's share of its pair's probability
	// (see pairShares).
	logShare float64
}

// The tokens that begin with the same two pieces would each be given the
// pair's whole probability: Falcon's tokenizer has "19" and "190" to "199",
// and runs of line breaks followed by spaces of every length, which then
// take the pair's probability many times over (onto it, the new tokens the
// calibration text holds took 8.4% of the probability on Python docs, where
// they are 2.9% of the tokens). pairShares divides it among them by their
// occurrences in the text, each counted half an occurrence more
// (pairShareSmoothing; the Krichevsky–Trofimov estimator): the share is what
// the text says of how often the pair goes on into each. Measured
// (transplant run --base A --tokenizer T --calibration-text calib.txt, then
// transplant eval --baseline A; dev text, Go doc comments, licenses, Python
// docs), onto Phi-2's tokenizer: 1.0521, 1.0137, 1.0150, 1.0183 → 1.0513,
// 1.0122, 1.0146, 1.0167; onto GPT-2's 1.0522, 1.0098, 1.0030, 1.0128 →
// 1.0522, 1.0092, 1.0032, 1.0123; onto Falcon's 1.0820, 1.0072, 1.0139,
// 1.0203 → 1.0809, 1.0053, 1.0153, 1.0189 (on licenses "\n\n " takes less,
// where the whole share had happened to suit it); onto Llama 3's 1.0563,
// 0.9887, 0.9822, 0.9704 → 1.0561, 0.9879, 0.9808, 0.9694; Qwen 3's and
// Gemma 3's within 0.0004 (Qwen 3's Python docs 0.9643 → 0.9647). Half the
// log-share (a gentler split) gave Falcon's 1.0812, 1.0057, 1.0144, 1.0192
// and Phi-2's 1.0514, 1.0125, 1.0146, 1.0169; four occurrences more instead
// of half, Falcon's 1.0809, 1.0052, 1.0151, 1.0189.
const pairShareSmoothing = 0.5

// pairShares sets the share of each token of next (the tokens one first
// piece begins) among those with the same second piece, from the rows'
// occurrence counts.
func pairShares(next []firstNext, count []int) {
	sum := map[int]float64{}
	for _, n := range next {
		sum[n.second] += float64(count[n.row]) + pairShareSmoothing
	}
	for k, n := range next {
		next[k].logShare = math.Log((float64(count[n.row]) + pairShareSmoothing) / sum[n.second])
	}
}

// firstPiecesOf lists the new tokens of two pieces or more by first piece
// (with heldPairs, those that begin with the first two pieces of a token
// the text holds), picks the contexts each is sampled at (at most max,
// spread over the text, among the first pieces the spans' windows hold
// with the state after them) and marks in st where the base reads a first
// piece picked, so that runWindow computes the probabilities after it
// there alone.
func (s *Session) firstPiecesOf(st *calStream, spans []calSpan, max int, heldPairs bool) *firstPieces {
	fp := &firstPieces{next: map[int][]firstNext{}, states: make([][]float32, len(s.targets)),
		targets: make([][]float64, len(s.targets)), occurs: map[int]int{}, sampled: map[int][]int{},
		planned: make([]int, len(s.targets))}
	pick := newSpread(len(s.targets), max)
	count := make([]int, len(s.targets))
	for _, oc := range st.occ {
		fp.occurs[oc.start] = oc.row
		count[oc.row]++
	}
	held := pairsHeld(s.targets, count)
	for i, t := range s.targets {
		if len(t.Pieces) >= 2 && (!heldPairs || held[pairOf(t)]) {
			o := t.Pieces[0].ID
			fp.next[o] = append(fp.next[o], firstNext{row: i, second: t.Pieces[1].ID})
		}
	}
	for _, next := range fp.next {
		pairShares(next, count)
	}
	for i, id := range st.ids {
		next, ok := fp.next[id]
		if !ok || st.inner[i] {
			continue
		}
		row, occurs := fp.occurs[i]
		for _, n := range next {
			if !occurs || row != n.row {
				pick.count(n.row)
			}
		}
	}
	fp.plan(st, spans, pick)
	return fp
}

// pairsHeld returns the first two pieces of the targets the text holds
// (count is their occurrences).
func pairsHeld(targets []heuristics.Target, count []int) map[[2]int]bool {
	held := map[[2]int]bool{}
	for i, t := range targets {
		if len(t.Pieces) >= 2 && count[i] > 0 {
			held[pairOf(t)] = true
		}
	}
	return held
}

func pairOf(t heuristics.Target) [2]int { return [2]int{t.Pieces[0].ID, t.Pieces[1].ID} }

// plan offers pick the contexts the spans hold, in text order, and marks
// those kept.
func (fp *firstPieces) plan(st *calStream, spans []calSpan, pick *spread) {
	if st.after == nil {
		st.after = make([]bool, len(st.ids))
	}
	for _, sp := range spans {
		for g := sp.start + 1; g+1 < sp.end; g++ {
			next := fp.next[st.ids[g]]
			if len(next) == 0 || st.inner[g] {
				continue
			}
			row, occurs := fp.occurs[g]
			for k, n := range next {
				if (!occurs || row != n.row) && pick.keep(n.row) {
					fp.sampled[g] = append(fp.sampled[g], k)
					fp.planned[n.row]++
				}
			}
			st.after[g] = st.after[g] || len(fp.sampled[g]) > 0
		}
	}
}

// collect adds the samples of a window, as sharedRows.collect reads it:
// state j predicts the first piece at stream position g = start+j+1, state
// j+1 has read it.
func (fp *firstPieces) collect(w *calWindow, st *calStream, head blas32.General) {
	for j := 0; j+1 < w.states.Rows; j++ {
		g := w.start + j + 1
		sampled := fp.sampled[g]
		if len(sampled) == 0 {
			continue
		}
		next := fp.next[st.ids[g]]
		logZ := logZAfter(w, st, head, j)
		first := dotRow(w.states, j, head, st.ids[g])
		for _, k := range sampled {
			n := next[k]
			// Below minRest the pair's share is too small to matter; the
			// fit spends no effort on how much smaller.
			rest := max(dotRow(w.states, j+1, head, n.second)-logZ, math.Log(minRest))
			if fp.states[n.row] == nil {
				fp.states[n.row] = make([]float32, 0, fp.planned[n.row]*head.Cols)
				fp.targets[n.row] = make([]float64, 0, fp.planned[n.row])
			}
			fp.states[n.row] = appendState(fp.states[n.row], w.states, j, head.Cols)
			fp.targets[n.row] = append(fp.targets[n.row], first+rest+n.logShare)
		}
	}
}

// occurrenceWeight is how much more a context where a new token occurs
// counts in its fit than one where its first piece stands alone. The
// latter outnumber the former about 14 to 1 and are only bounds for tokens
// of three pieces or more. Extending A by 2,000 tokens, weights 1, 2, 4
// and 8 scored 1.0107, 1.0101, 1.0097 and 1.0097 of A's bits per byte on
// held-out text like the corpus; on three texts of other domains, where
// the new tokens are rare and what they take from the others counts more,
// 4 costs 0.0001 to 0.0003 against 1 (1.0025/1.0028/1.0029 →
// 1.0027/1.0031/1.0030). An extension is made for text like its corpus.
const occurrenceWeight = 4

// addTo appends the samples to the rows' own, which it weighs by
// occurrenceWeight (scaling a least-squares sample by √w weighs it by w).
// It lets go of each row's samples once they are appended, so that the
// two copies never both hold all of them.
func (fp *firstPieces) addTo(cs *calSamples, rep *CalibrationReport) {
	scale := math.Sqrt(occurrenceWeight)
	for i := range cs.targets {
		for k := range cs.states[i] {
			cs.states[i][k] *= float32(scale)
		}
		for k := range cs.targets[i] {
			cs.targets[i][k] *= scale
		}
		cs.states[i] = slices.Concat(cs.states[i], fp.states[i])
		cs.targets[i] = slices.Concat(cs.targets[i], fp.targets[i])
		rep.FirstPieceContexts += len(fp.targets[i])
		fp.states[i], fp.targets[i] = nil, nil
	}
}
