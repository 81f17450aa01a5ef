package transplant

import (
	"context"
	"fmt"
	"time"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/eval/forward"
)

// calSamples are the fitting problems of one calibration: for each map
// row, the states where its token occurs and their targets, and the stay
// contexts every row shares: without a donor, contexts where the prior's
// logits stay; with one, every position the donor gave a sample at, where the logits
// follow the donor (donor, instead of stay).
type calSamples struct {
	states  [][]float32 // per map row, occurrences×width row-major
	targets [][]float64
	stay    blas32.General
	donor   *donorSums
	// donorNew says the donor's sums have the new rows' columns (first);
	// donorWeight is the share of each new row fitted to them, the rest
	// fitted to the base with the stay contexts (none when 1).
	donorNew    bool
	donorWeight float64
	shared      *sharedRows  // nil when shared rows stay as the base has them
	recut       []recutRow   // the donor's last columns, or without a donor the base's projection's
	mass        *massSamples // nil when the rows the text lacks keep their prior
	// projection sums the fit of the recut rows in projected to the base's
	// projection (see recutProjection); nil when none is fitted so.
	projection *donorSums
	projected  []recutRow
	// context gathers an extension's input rows (nil unless extending).
	context *contextRows
}

// fits reports whether map row i gets a fitted row: it has samples, or
// the donor fits every row.
func (cs *calSamples) fits(i int) bool { return len(cs.targets[i]) > 0 || cs.donorNew }

// fitted is fits for every map row.
func (cs *calSamples) fitted() []bool {
	f := make([]bool, len(cs.targets))
	for i := range f {
		f[i] = cs.fits(i)
	}
	return f
}

// calibrationSamples runs the base over text and collects the samples.
func (s *Session) calibrationSamples(ctx context.Context, m *forward.Model, head blas32.General, text []byte, o CalibrationOptions) (*calSamples, *CalibrationReport, error) {
	bos := m.Config().BOS
	if bos < 0 {
		bos = s.oldTok.Specials().BOS
	}
	st := s.calStreamOf(text, bos)
	donor, recut, weight, err := s.calDonor(st, head, o)
	if err != nil {
		return nil, nil, err
	}
	rep := &CalibrationReport{Tokens: st.tokens}
	extending := s.extending()
	width, maxOcc, nStay := head.Cols, or(o.MaxOccurrences, DefaultMaxOccurrences), or(o.StayContexts, 256)
	ridge := or(o.Ridge, DefaultCalibrationRidge)
	if extending {
		maxOcc, ridge = or(o.MaxOccurrences, ExtensionMaxOccurrences), or(o.Ridge, DefaultExtensionRidge)
	}
	step := max(1, len(st.ids)/nStay)
	cs := &calSamples{states: make([][]float32, len(s.targets)), targets: make([][]float64, len(s.targets)),
		stay: blas32.General{Cols: width, Stride: width}, donorNew: weight > 0, donorWeight: weight, recut: recut}
	if donor != nil {
		cs.donor = newDonorSums(width, donor.columns())
	}
	window := or(o.Window, min(m.Context(), calWindowTokens))
	spans := st.fixedSpans(window)
	if donor != nil {
		spans = st.tokenSpans(min(window, donor.model.Context()))
	}
	proj := s.projectRecut(st, cs, o, width)
	recut = cs.recut
	if !o.Donor && !o.KeepShared {
		cs.shared = s.sharedRowsOf(st, spans, recut, maxOcc)
	}
	if !o.KeepUnseen {
		groups := make([]int, len(s.targets))
		for i, t := range s.targets {
			groups[i] = groupOf(len(t.Pieces))
		}
		cs.mass = massSamplesOf(st, groups, massContexts, width)
	}
	var first *firstPieces
	if donor == nil {
		first = s.firstPiecesOf(st, spans, maxOcc, !extending)
	}
	if extending {
		cs.context, st.context = newContextRows(len(s.targets), m.Config().Hidden), true
	}
	next := 0 // the first occurrence not yet read
	pick := newSpread(len(s.targets), maxOcc)
	for _, oc := range st.occ {
		pick.count(oc.row)
	}
	collect := func(w *calWindow) error {
		if w.donor != nil {
			cs.donor.add(w.donor)
		}
		if proj != nil {
			cs.projection.add(proj.read(w, st, head))
		}
		if cs.shared != nil {
			cs.shared.collect(w, st, head)
		}
		if first != nil {
			first.collect(w, st, head)
		}
		if cs.mass != nil {
			cs.mass.collect(w)
		}
		if cs.context != nil {
			cs.context.collect(w, st)
		}
		end := w.start + w.states.Rows
		for i := w.start; i < end && cs.stay.Rows < nStay && cs.donorWeight < 1; i++ { // else the donor's contexts stand in
			if i%step == 0 {
				cs.stay.Data = appendState(cs.stay.Data, w.states, i-w.start, width)
				cs.stay.Rows++
			}
		}
		for ; next < len(st.occ) && st.occ[next].start+st.occ[next].pieces <= end; next++ {
			oc := st.occ[next]
			if oc.start-1 < w.start || !pick.keep(oc.row) {
				continue // the window does not hold its context, or another stands for it
			}
			p := oc.start - 1 - w.start
			y := dotRow(w.states, p, head, st.ids[oc.start])
			for k := 1; k < oc.pieces; k++ {
				y -= w.nll[p+k]
			}
			cs.states[oc.row] = appendState(cs.states[oc.row], w.states, p, width)
			cs.targets[oc.row] = append(cs.targets[oc.row], y)
			rep.Occurrences++
		}
		return nil
	}
	read := func(sp calSpan) (*calWindow, error) { return runWindow(m, st, sp) }
	if donor != nil {
		read = func(sp calSpan) (*calWindow, error) {
			w, err := runWindow(m, st, sp)
			if err == nil {
				err = donor.read(st, sp, w)
			}
			return w, err
		}
	}
	passStart := time.Now()
	if err = runBase(ctx, spans, read, progressOf(o, collect)); err != nil {
		return nil, nil, err
	}
	if first != nil {
		first.addTo(cs, rep)
	}
	if cs.context != nil {
		if err := cs.context.refine(ctx, m, st, st.fixedSpans(window), o.Progress); err != nil {
			return nil, nil, err
		}
	}
	rep.PassSeconds = time.Since(passStart).Seconds()
	if donor != nil {
		rep.DonorContexts = cs.donor.samples
	}
	if cs.donorNew && cs.donor.samples > 0 {
		rep.DonorWeight, rep.DonorLambda = cs.donorWeight, ridge*cs.donor.meanSquaredNorm()
		if cs.donorWeight == 1 {
			rep.Lambda = rep.DonorLambda
			return cs, rep, nil
		}
		if rep.Occurrences == 0 {
			rep.Lambda = ridge * meanSquaredNorm(cs.stay)
			return cs, rep, nil // the donor fits every row
		}
	} else {
		cs.donorNew, cs.donorWeight = false, 0
	}
	if rep.Occurrences == 0 {
		return nil, rep, fmt.Errorf("transplant: calibration: %w (%d tokens of text)", ErrNothingToCalibrate, st.tokens)
	}
	rep.Lambda = ridge * meanSquaredNorm(cs.stay)
	return cs, rep, nil
}

// progressOf reports each window use is given to o.Progress.
func progressOf(o CalibrationOptions, use func(*calWindow) error) func(*calWindow) error {
	if o.Progress == nil {
		return use
	}
	done := int64(0)
	return func(w *calWindow) error {
		done++
		o.Progress("head calibration", done, w.of)
		return use(w)
	}
}

// appendState appends row i of states to dst, widened to width with a
// trailing 1 when the head has a bias column.
func appendState(dst []float32, states blas32.General, i, width int) []float32 {
	dst = append(dst, states.Data[i*states.Stride:i*states.Stride+states.Cols]...)
	if width > states.Cols {
		dst = append(dst, 1)
	}
	return dst
}

// dotRow is the base's logit of old id at position i: the state times the
// head row (and its bias, the row's last column when the head has one).
func dotRow(states blas32.General, i int, head blas32.General, id int) float64 {
	h := states.Data[i*states.Stride : i*states.Stride+states.Cols]
	r := head.Data[id*head.Stride : id*head.Stride+head.Cols]
	sum := 0.0
	for j, v := range h {
		sum += float64(v) * float64(r[j])
	}
	if head.Cols > len(h) {
		sum += float64(r[len(h)])
	}
	return sum
}

// trace is the trace of the n×n matrix a.
func trace(a []float64, n int) float64 {
	sum := 0.0
	for i := range n {
		sum += a[i*n+i]
	}
	return sum
}

func meanSquaredNorm(g blas32.General) float64 {
	if g.Rows == 0 {
		return 1
	}
	sum := 0.0
	for _, v := range g.Data[:g.Rows*g.Cols] {
		sum += float64(v) * float64(v)
	}
	return sum / float64(g.Rows)
}
