package transplant

import (
	"slices"

	"github.com/transplant-dev/transplant/heuristics"
)

// contextRows are the input rows an extension's new tokens get from the
// base model itself. Where the base reads a new token's pieces one after
// the other, its first layer gathers them into the residual stream at the
// last piece: what the layers above read there is the word, not only its
// last piece. A new token's input row starts as that residual, averaged
// over the token's occurrences in the calibration text, and is then moved
// so that the first layer, reading it, lands about where the base stood
// after the pieces (see refine). The last piece's row alone leaves the model not knowing what it
// read: extending the shared model A by 2,000 tokens learned on
// calib.txt, the bytes right after a new token of heldout.txt cost 1.716
// bits per byte with it, 1.650 with every seen token's row taken so, and
// 1.632 with the rows of the 35 tokens seen minContextOccurrences times
// (the whole text: 1.0097 → 1.0079 of A's bits per byte; Go doc
// comments, licenses and Python docs within 0.0001 of before).
//
// Only tokens seen minContextOccurrences times get one: a residual
// averaged over few contexts carries those contexts more than the token,
// and a row between the two (the last piece's plus a share of the
// difference) was worse than either in every blend tried. Only an
// extension is given them (see Session.extending): its calibration text
// is the text the tokens were learned on, the text the model is wanted
// for. Moving A onto another family's tokenizer without a donor, the
// same rows gain on text like the calibration text and not always on
// other text: the dev text, Go doc comments, licenses and Python docs
// went from 1.0600, 1.0118, 1.0084 and 1.0208 of the base's bits per
// byte to 1.0577, 1.0112, 1.0086 and 1.0206 onto GPT-2's tokenizer, from
// 1.1004, 1.0146, 1.0322 and 1.0342 to 1.0993, 1.0145, 1.0320 and 1.0340
// onto Falcon's, and from 1.0689, 0.9926, 0.9807 and 0.9731 to 1.0599,
// 0.9932, 0.9819 and 0.9745 onto Llama 3's (refined rows; the mean
// residuals lost more: 1.0224 → 1.0229 and 1.0093 → 1.0105 on GPT-2's
// Python docs and licenses).
type contextRows struct {
	width int
	sums  [][]float64 // per map row, the sum of its residuals; nil until seen
	count []int
	next  int // the first occurrence of the stream not yet read
	// rows are the rows apply sets, per map row (nil: none), once
	// refine has made them.
	rows [][]float32
}

// minContextOccurrences is how often a new token must occur in the
// calibration text to get its input row from the base's first layer.
// Chosen on calib.txt alone (rows from its first 600 kB, scored on the
// rest): 2.0932 bits per byte with no row changed, 2.0909 with every seen
// token's, 2.0901, 2.0895 and 2.0894 from 4, 16 and 64 occurrences.
const minContextOccurrences = 32

// contextLayers is how many of the base's layers the residual is taken
// after. One is where pieces are gathered; after two, the extension of A
// scored 1.8960 bits per byte on heldout.txt against 1.8942 after one.
const contextLayers = 1

func newContextRows(rows, width int) *contextRows {
	return &contextRows{width: width, sums: make([][]float64, rows), count: make([]int, rows)}
}

// collect adds the residual at the last piece of every occurrence that
// window w holds whole. Windows come in order (runBase), as do the
// stream's occurrences.
func (c *contextRows) collect(w *calWindow, st *calStream) {
	end := w.start + w.states.Rows
	for ; c.next < len(st.occ) && st.occ[c.next].start+st.occ[c.next].pieces <= end; c.next++ {
		oc := st.occ[c.next]
		if oc.start < w.start || oc.pieces < 2 {
			continue
		}
		i := oc.start + oc.pieces - 1 - w.start
		if c.sums[oc.row] == nil {
			c.sums[oc.row] = make([]float64, c.width)
		}
		for j, v := range w.context[i*c.width : (i+1)*c.width] {
			c.sums[oc.row][j] += float64(v)
		}
		c.count[oc.row]++
	}
}

// apply returns a copy of prior, the input map, whose rows of tokens seen
// often enough are the rows refine made, and how many rows it set.
func (c *contextRows) apply(prior *heuristics.Map) (*heuristics.Map, int) {
	m := *prior
	m.Rows = slices.Clone(prior.Rows)
	set := 0
	for i, row := range c.rows {
		if row != nil {
			m.Rows[i] = heuristics.Row{ID: prior.Rows[i].ID, Delta: slices.Clone(row), How: HowContext}
			set++
		}
	}
	return &m, set
}

// HowContext is how the run report counts input rows taken from the base's
// first layer (contextRows).
const HowContext = "context"
