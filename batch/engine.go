package batch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrDependency is the error of a unit that did not run because a unit it
// needs failed or is not done.
var ErrDependency = errors.New("dependency not done")

// A Worker does the work of units; the batch package only schedules it.
// Its methods are called from several goroutines at once.
type Worker interface {
	// Done reports whether u's output exists and was made from u's
	// current inputs and options (resumability); res then holds its
	// numbers, read back from the output. It must report false when an
	// input is missing or differs from the one the output was made from.
	Done(ctx context.Context, u *Unit) (res Result, done bool, err error)
	// Memory returns the peak memory u needs, in bytes, from its plan. It
	// is called before any unit runs, so it must not need the outputs of
	// other units.
	Memory(ctx context.Context, u *Unit) (int64, error)
	// Do performs u, writing u.Out atomically and nothing else.
	Do(ctx context.Context, u *Unit) (Result, error)
}

// A Result holds the numbers a unit reports, for the summary.
type Result struct {
	Counts map[string]int64   `json:"counts,omitempty"`
	Eval   map[string]float64 `json:"eval,omitempty"`
}

// Options bound how units run.
type Options struct {
	Jobs int // units running at once; less than 1 means 1
	// Memory is what running units may need together, in bytes; 0 means
	// no bound. A unit that needs more runs alone (Event.Oversize).
	Memory int64
	// Progress, when set, hears of each unit that starts and ends, from
	// one goroutine at a time.
	Progress func(Event)
}

// An Event tells of a unit that starts (Record nil) or ends.
type Event struct {
	Unit     *Unit
	Memory   int64   // what the unit declared
	Oversize bool    // it needs more than Options.Memory and runs alone
	Record   *Record // how it ended
}

// A Status is how a unit or a job ended.
type Status string

const (
	Done    Status = "done"    // ran and succeeded
	Skipped Status = "skipped" // its output was already there, or nothing needs it
	Failed  Status = "failed"
	Pending Status = "pending" // not run yet, or interrupted
)

// A Record is how one unit ended, kept in the state directory for the
// summary.
type Record struct {
	Unit    string    `json:"unit"`
	Kind    string    `json:"kind"`
	Job     string    `json:"job,omitempty"`   // apply, run and eval units
	Group   string    `json:"group,omitempty"` // solve and merge units
	Status  Status    `json:"status"`
	Error   string    `json:"error,omitempty"`
	Task    string    `json:"task,omitempty"` // "2/4", "gather" or "all": who ran it
	Started time.Time `json:"started,omitzero"`
	Seconds float64   `json:"seconds"`
	Memory  int64     `json:"memory,omitempty"`
	Result
}

// executor runs a list of units of a plan once.
type executor struct {
	plan  *Plan
	w     Worker
	opt   Options
	task  string
	prior map[string]*Record // records already on disk, for messages
	sink  func(*Record) error

	inList   map[*Unit]bool
	done     map[*Unit]bool // Done said so (list units and their neighbours)
	needed   map[*Unit]bool
	mem      map[*Unit]int64
	finished map[*Unit]Status
	errs     map[*Unit]string

	running, used int64
	alone         bool
	sinkErr       error
}

type outcome struct {
	u       *Unit
	res     Result
	err     error
	started time.Time
	elapsed time.Duration
}

// execute runs list (in plan order) and returns the first error writing a
// record, or the context's error. Units that fail are recorded, not
// returned.
func (e *executor) execute(ctx context.Context, list []*Unit) error {
	pending, err := e.settle(ctx, list)
	if err != nil {
		return err
	}
	results := make(chan outcome)
	for len(pending) > 0 || e.running > 0 {
		if ctx.Err() == nil {
			pending = e.startReady(ctx, pending, results)
		}
		if e.running == 0 {
			break
		}
		o := <-results
		e.running--
		e.used -= e.mem[o.u]
		e.alone = false
		e.finish(ctx, o)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return e.sinkErr
}

// settle finds what running list involves: it records the units whose
// output is already there, whose check failed or that nothing needs, and
// returns the others, in list order, with their memory in e.mem.
func (e *executor) settle(ctx context.Context, list []*Unit) ([]*Unit, error) {
	e.inList = map[*Unit]bool{}
	for _, u := range list {
		e.inList[u] = true
	}
	e.finished, e.errs = map[*Unit]Status{}, map[*Unit]string{}
	e.check(ctx, list)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var pending []*Unit
	for _, u := range list {
		switch {
		case e.finished[u] != "": // done, or its check failed
		case !e.needed[u]:
			e.finished[u] = Skipped
			e.record(&Record{Status: Skipped}, u, Result{})
		default:
			pending = append(pending, u)
		}
	}
	return pending, nil
}

// check asks the worker, Jobs at a time, whether each unit of the list
// and each neighbour outside it (dependencies and dependents) is done,
// and how much memory each unit to run needs; then marks the units that
// nothing needs.
func (e *executor) check(ctx context.Context, list []*Unit) {
	dependents := map[*Unit][]*Unit{}
	for _, u := range e.plan.Units {
		for _, d := range u.Deps {
			dependents[d] = append(dependents[d], u)
		}
	}
	toCheck := append([]*Unit(nil), list...)
	seen := map[*Unit]bool{}
	for _, u := range list {
		for _, n := range append(append([]*Unit(nil), u.Deps...), dependents[u]...) {
			if !e.inList[n] && !seen[n] {
				seen[n] = true
				toCheck = append(toCheck, n)
			}
		}
	}
	e.done, e.mem = map[*Unit]bool{}, map[*Unit]int64{}
	results, errs := map[*Unit]Result{}, map[*Unit]error{}
	var mu sync.Mutex
	e.parallel(ctx, toCheck, func(u *Unit) {
		res, done, err := e.w.Done(ctx, u)
		var mem int64
		if err == nil && !done && e.inList[u] {
			mem, err = e.w.Memory(ctx, u)
		}
		mu.Lock()
		defer mu.Unlock()
		e.done[u], e.mem[u], results[u] = done && err == nil, mem, res
		if err != nil && e.inList[u] && ctx.Err() == nil {
			errs[u] = err
		}
	})
	for _, u := range list {
		if errs[u] != nil {
			e.fail(u, &Record{}, errs[u])
		} else if e.done[u] {
			e.finished[u] = Skipped
			e.record(&Record{Status: Skipped}, u, results[u])
		}
	}
	// A unit is needed unless all its dependents are done or not needed
	// themselves; a solve whose applies are all done need not run again.
	e.needed = map[*Unit]bool{}
	for i := len(e.plan.Units) - 1; i >= 0; i-- {
		u := e.plan.Units[i]
		if !e.inList[u] || e.done[u] {
			continue
		}
		e.needed[u] = len(dependents[u]) == 0
		for _, d := range dependents[u] {
			if !e.done[d] && (!e.inList[d] || e.needed[d]) {
				e.needed[u] = true
			}
		}
	}
}

// parallel calls f on each unit, Jobs at a time.
func (e *executor) parallel(ctx context.Context, units []*Unit, f func(*Unit)) {
	sem := make(chan struct{}, max(e.opt.Jobs, 1))
	var wg sync.WaitGroup
	for _, u := range units {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			f(u)
		})
	}
	wg.Wait()
}

// startReady starts the pending units whose dependencies have finished,
// in order, while they fit; once one does not, later ones wait too, so a
// large unit is not starved by small ones. It returns the units still
// pending.
func (e *executor) startReady(ctx context.Context, pending []*Unit, results chan<- outcome) []*Unit {
	var rest []*Unit
	blocked := false
	for _, u := range pending {
		ready, err := e.depsReady(u)
		switch {
		case err != nil:
			e.fail(u, &Record{}, err)
			continue
		case !ready:
			rest = append(rest, u)
			continue
		case blocked || !e.fits(u):
			blocked = true
			rest = append(rest, u)
			continue
		}
		e.start(ctx, u, results)
	}
	return rest
}

// depsReady reports whether u's dependencies have all succeeded, or an
// error when one failed or, outside the list, is not done.
func (e *executor) depsReady(u *Unit) (bool, error) {
	ready := true
	for _, d := range u.Deps {
		if !e.inList[d] {
			if e.done[d] {
				continue
			}
			why := "which has not run"
			if r := e.prior[d.ID]; r != nil && r.Status == Failed {
				why = fmt.Sprintf("which failed (task %s): %s", r.Task, r.Error)
			}
			return false, fmt.Errorf("%w: needs %s, %s", ErrDependency, d.ID, why)
		}
		switch e.finished[d] {
		case Done, Skipped:
		case Failed:
			return false, fmt.Errorf("%w: needs %s, which failed: %s", ErrDependency, d.ID, e.errs[d])
		default:
			ready = false
		}
	}
	return ready, nil
}

// fits reports whether u may start now: fewer than Jobs units run, and
// its memory fits what the running units leave of the budget. A unit
// larger than the whole budget waits until nothing runs, then runs alone.
func (e *executor) fits(u *Unit) bool {
	if e.alone || e.running >= int64(max(e.opt.Jobs, 1)) {
		return false
	}
	budget, m := e.opt.Memory, e.mem[u]
	switch {
	case budget <= 0:
		return true
	case m > budget:
		return e.running == 0
	}
	return e.used+m <= budget
}

func (e *executor) start(ctx context.Context, u *Unit, results chan<- outcome) {
	e.running++
	e.used += e.mem[u]
	oversize := e.opt.Memory > 0 && e.mem[u] > e.opt.Memory
	e.alone = oversize
	if e.opt.Progress != nil {
		e.opt.Progress(Event{Unit: u, Memory: e.mem[u], Oversize: oversize})
	}
	go func() {
		t0 := time.Now()
		res, err := e.w.Do(ctx, u)
		results <- outcome{u: u, res: res, err: err, started: t0, elapsed: time.Since(t0)}
	}()
}

// finish records how a unit ended; one interrupted by cancellation stays
// pending, without a record, so that a rerun does it.
func (e *executor) finish(ctx context.Context, o outcome) {
	r := &Record{Status: Done, Started: o.started.UTC(), Seconds: o.elapsed.Seconds()}
	switch {
	case o.err != nil && ctx.Err() != nil:
		e.finished[o.u] = Pending
	case o.err != nil:
		e.fail(o.u, r, o.err)
	default:
		e.finished[o.u] = Done
		e.record(r, o.u, o.res)
	}
}

// fail records u as failed with err.
func (e *executor) fail(u *Unit, r *Record, err error) {
	r.Status, r.Error = Failed, err.Error()
	e.finished[u], e.errs[u] = Failed, r.Error
	e.record(r, u, Result{})
}

// record completes r for u, stores it and tells Progress.
func (e *executor) record(r *Record, u *Unit, res Result) {
	r.Unit, r.Kind, r.Task, r.Memory, r.Result = u.ID, u.Kind.String(), e.task, e.mem[u], res
	if u.Kind == SolveUnit || u.Kind == MergeUnit {
		r.Group = u.Group.ID
	} else {
		r.Job = u.Job.ID
	}
	if err := e.sink(r); err != nil && e.sinkErr == nil {
		e.sinkErr = err
	}
	if e.opt.Progress != nil {
		e.opt.Progress(Event{Unit: u, Memory: e.mem[u], Record: r})
	}
}
