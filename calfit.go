package transplant

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/calibrate"
	"github.com/transplant-dev/transplant/heuristics"
)

// calFitters are the fitters of one calibration: to the base, with the
// stay contexts, and to the donor, with the donor's Gram matrix; nil when
// the rows take nothing from that fit.
type calFitters struct{ stay, donor *calibrate.Fitter }

// fitters factors the samples' contexts that every row shares.
func (cs *calSamples) fitters(width int, rep *CalibrationReport) (calFitters, error) {
	var f calFitters
	var err error
	if cs.donorWeight < 1 {
		f.stay, err = calibrate.NewFitter(cs.stay, rep.Lambda)
	}
	if err == nil && cs.donorNew {
		f.donor, err = calibrate.NewGramFitter(cs.donor.gram, width, rep.DonorLambda)
	}
	if err != nil {
		return f, fmt.Errorf("transplant: calibration: %w", err)
	}
	return f, nil
}

// fitRows fits every map row with samples, on all cores, and sets its
// Delta to the fitted row minus the prior the map makes.
func fitRows(ctx context.Context, f calFitters, rm, prior *heuristics.Map, base blas32.General, cs *calSamples, rep *CalibrationReport) error {
	var todo []int
	for i := range rm.Rows {
		if cs.fits(i) {
			todo = append(todo, i)
		}
	}
	rep.Fitted, rep.Kept = len(todo), len(rm.Rows)-len(todo)
	workers := min(runtime.GOMAXPROCS(0), max(len(todo), 1))
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = fitSome(ctx, f, rm, prior, base, cs, todo[w:], workers)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// rowFit fits one row at a time, with its own scratch space.
type rowFit struct {
	calFitters
	cs                *calSamples
	anchor, st, other []float32
}

// fit writes into dst row i's fit from prior: to the base, to the donor,
// or their blend by cs.donorWeight.
func (r *rowFit) fit(dst, prior []float32, i int) error {
	y := r.cs.targets[i]
	states := blas32.General{Rows: len(y), Cols: len(prior), Stride: len(prior), Data: r.cs.states[i]}
	if r.stay != nil {
		if err := r.stay.Fit(dst, prior, states, y); err != nil {
			return err
		}
	}
	if r.donor == nil {
		return nil
	}
	r.cs.donor.column(r.st, i)
	if err := r.donor.Anchor(r.anchor, r.st, prior); err != nil {
		return err
	}
	if err := r.donor.Fit(r.other, r.anchor, states, y); err != nil {
		return err
	}
	w := float32(r.cs.donorWeight)
	if r.stay == nil {
		w = 1
	}
	for j, v := range r.other {
		dst[j] = (1-w)*dst[j] + w*v
	}
	return nil
}

// fitSome fits rows todo[0], todo[stride], … of rm. The prior rows come
// from the map from, which no worker writes; each worker writes its own
// rows of rm.
func fitSome(ctx context.Context, f calFitters, rm, from *heuristics.Map, base blas32.General, cs *calSamples, todo []int, stride int) error {
	w, err := from.RowWriter(base)
	if err != nil {
		return fmt.Errorf("transplant: calibration: prior rows: %w", err)
	}
	d := base.Cols
	prior, fitted := make([]float32, d), make([]float32, d)
	rf := rowFit{calFitters: f, cs: cs, anchor: make([]float32, d), st: make([]float32, d), other: make([]float32, d)}
	for k := 0; k < len(todo); k += stride {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		i := todo[k]
		w.Row(prior, i)
		if err := rf.fit(fitted, prior, i); err != nil {
			return fmt.Errorf("transplant: calibration: new id %d: %w", rm.Rows[i].ID, err)
		}
		delta := make([]float32, d)
		var moved, size float64
		old := from.Rows[i].Delta // the prior's own correction, part of prior
		for j := range delta {
			delta[j] = fitted[j] - prior[j]
			moved += float64(delta[j]) * float64(delta[j])
			size += float64(prior[j]) * float64(prior[j])
			if old != nil {
				delta[j] += old[j]
			}
		}
		rm.Rows[i].Delta, rm.Rows[i].How = delta, HowCalibrated
		rm.Measure(MeasureContexts)[i] = float64(len(cs.targets[i]))
		if cs.donorNew {
			rm.Measure(MeasureContexts)[i] += float64(cs.donor.samples)
		}
		rm.Measure(MeasureShift)[i] = math.Sqrt(moved / size)
	}
	return nil
}
