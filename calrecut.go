package transplant

import (
	"context"
	"fmt"
	"slices"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/calibrate"
	"github.com/transplant-dev/transplant/heuristics"
)

// Which shared rows are refitted: seen often enough in the calibration
// text to judge, and recut at least a quarter of the time. A row is fitted
// at every sampled position, so a token the new tokenizer puts where the
// base's would not only some of the time (an opening quote after Falcon's
// lone space, where a closing one follows a word as the base has it) gets
// the probability it needs there and keeps it elsewhere. On the shared
// models (A, calib.txt) a quarter picks 37 tokens onto GPT-2's tokenizer
// and 21 onto Falcon's (half picked 16 and 10). A quarter against half,
// in bits per byte relative to A (dev, Go doc comments, licenses, Python
// docs): with donor B 1.0458/1.0091/1.0065/1.0168 against
// 1.0458/1.0094/1.0066/1.0183; onto GPT-2's without a donor
// 1.0614/1.0133/1.0093/1.0224 against 1.0613/1.0135/1.0093/1.0230; onto
// Falcon's without a donor 1.1016/1.0160/1.0332/1.0356 against
// 1.1028/1.0170/1.0352/1.0365 (a tenth: 1.1014/1.0157/1.0331/1.0354, 68
// rows).
const (
	minRecutOccurrences = 20
	minRecutShare       = 0.25
)

// recutRidge is λ for the recut rows relative to the mean squared norm of
// the donor's contexts.
const recutRidge = 1.0

// A recutRow is a shared token whose head row is fitted to the base's
// projection (see recutProjection) and, with a donor, half to the donor
// (see fitRecutRows).
// A shared token keeps its bytes but not always its place: the new
// tokenizer may put it where the base's tokenizer cuts the same bytes
// another way. GPT-2's tokenizer spells an indentation as single spaces
// and a last space, where Mistral's has tokens for runs of spaces; the
// base has then rarely had to predict a lone space, and its copied head
// row gives one little probability. On the shared models such recut
// targets are 7% of the shared ones on the dev text and hold the whole
// gap to the model trained on the new tokenizer on licenses
// (bench/quality/shared_loss.py --recut). The base cannot say exactly
// what these rows should score, since it never reads the text so; a donor
// model on the new tokenizer can. So, with a donor, the head rows of the
// shared tokens the calibration text mostly recuts are fitted to the
// donor at the sampled positions where the base and the donor stand at
// the same byte (see donorStride), as --calibrate-to-donor fits new rows
// (see donorReader for the targets), and blended with their fit to the
// base's projection, which knows other text than the donor does.
type recutRow struct{ old, new int }

// recutRowsOf chooses the shared tokens, copied from the base, that the
// stream holds at least minOcc times (0 means minRecutOccurrences) and
// recuts at least minRecutShare of them, in new id order.
func (s *Session) recutRowsOf(st *calStream, minOcc int) []recutRow {
	minOcc = or(minOcc, minRecutOccurrences)
	old := map[int]int{}
	for _, a := range s.anchors {
		if s.alignment.Kind[a.New].Copied() {
			old[a.New] = a.Old
		}
	}
	seen, recut := map[int]int{}, map[int]int{}
	for j, id := range st.newIDs {
		if _, ok := old[id]; ok {
			seen[id]++
			if st.recut[j] {
				recut[id]++
			}
		}
	}
	var rows []recutRow
	for id, n := range seen {
		if n >= minOcc && float64(recut[id]) >= minRecutShare*float64(n) {
			rows = append(rows, recutRow{old: old[id], new: id})
		}
	}
	slices.SortFunc(rows, func(a, b recutRow) int { return a.new - b.new })
	return rows
}

// fitRecutRows fits the recut rows: to the donor, to the base's projection,
// or to both, where each row the projection holds is the blend of its two
// fits with the new rows' weights (donorWeight to the donor) and any other
// keeps the donor's. Onto GPT-2's tokenizer with donor B the blend scored
// better than the donor's fit alone on all four texts: dev 1.0465 → 1.0458
// of A's bits per byte, Go doc comments 1.0098 → 1.0094, licenses
// 1.0088 → 1.0066, Python docs 1.0195 → 1.0183; the projection's alone
// 1.0470, 1.0099, 1.0064 and 1.0191.
func (cs *calSamples) fitRecutRows(ctx context.Context, base blas32.General) ([]heuristics.Correction, error) {
	var out []heuristics.Correction
	if cs.donor != nil && cs.donor.samples > 0 {
		first := 0
		if cs.donorNew {
			first = len(cs.states)
		}
		var err error
		if out, err = fitRecut(ctx, cs.donor, cs.recut, base, first); err != nil {
			return nil, err
		}
	}
	if cs.projection == nil || cs.projection.samples == 0 {
		return out, nil
	}
	projected, err := fitRecut(ctx, cs.projection, cs.projected, base, 0)
	if err != nil || out == nil {
		return projected, err
	}
	w := float32(cs.donorWeight)
	for _, p := range projected {
		k, ok := slices.BinarySearchFunc(out, p.ID, func(c heuristics.Correction, id int) int { return c.ID - id })
		if !ok { // projected rows are recut rows: cannot happen
			return nil, fmt.Errorf("new id %d: projected but not recut", p.ID)
		}
		for j, v := range p.Delta {
			out[k].Delta[j] = w*out[k].Delta[j] + (1-w)*v
		}
	}
	return out, nil
}

// fitRecut fits each recut row in rows from the base's row to the targets
// summed in sums, whose columns for them start at first: with no samples
// of its own, the row the sums' contexts alone fit (Anchor).
func fitRecut(ctx context.Context, sums *donorSums, rows []recutRow, base blas32.General, first int) ([]heuristics.Correction, error) {
	f, err := calibrate.NewGramFitter(sums.gram, base.Cols, recutRidge*sums.meanSquaredNorm())
	if err != nil {
		return nil, err
	}
	out := make([]heuristics.Correction, len(rows))
	err = parallelRows(ctx, len(rows), func(k int) error {
		r := rows[k]
		prior := base.Data[r.old*base.Stride : r.old*base.Stride+base.Cols]
		st, fitted := make([]float32, base.Cols), make([]float32, base.Cols)
		sums.column(st, first+k)
		if err := f.Anchor(fitted, st, prior); err != nil {
			return fmt.Errorf("new id %d: %w", r.new, err)
		}
		for j := range fitted {
			fitted[j] -= prior[j]
		}
		out[k] = heuristics.Correction{ID: r.new, Delta: fitted}
		return nil
	})
	return out, err
}
