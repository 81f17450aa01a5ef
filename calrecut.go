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
// text to judge, and recut at least half the time. On the shared models
// (A onto GPT-2's tokenizer, calib.txt) these pick 16 tokens, the lone
// space among them.
const (
	minRecutOccurrences = 20
	minRecutShare       = 0.5
)

// recutRidge is λ for the recut rows relative to the mean squared norm of
// the donor's contexts.
const recutRidge = 1.0

// A recutRow is a shared token whose head row is fitted to the donor, or
// without one to the base's projection (see recutProjection).
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
// (see donorReader for the targets).
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

// fitRecut fits each recut row to the donor from the base's row: with no
// samples of its own, the row the donor's contexts alone fit (Anchor).
// Its columns in the donor's sums follow the new rows' (first).
func (cs *calSamples) fitRecut(ctx context.Context, f *calibrate.Fitter, base blas32.General, first int) ([]heuristics.Correction, error) {
	out := make([]heuristics.Correction, len(cs.recut))
	err := parallelRows(ctx, len(cs.recut), func(k int) error {
		r := cs.recut[k]
		prior := base.Data[r.old*base.Stride : r.old*base.Stride+base.Cols]
		st, fitted := make([]float32, base.Cols), make([]float32, base.Cols)
		cs.donor.column(st, first+k)
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
