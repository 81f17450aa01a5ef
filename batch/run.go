package batch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/transplant-dev/transplant/internal/safefile"
)

// ErrFailed is returned when a unit or a job failed; the others ran.
var ErrFailed = errors.New("not every job succeeded")

// RunTask runs the units of array task t and writes their records; the
// gather step writes the summary. The error wraps ErrFailed when one of
// them failed.
func (p *Plan) RunTask(ctx context.Context, t Task, w Worker, opt Options) error {
	units, err := p.Slice(t)
	if err != nil {
		return err
	}
	rec := p.newRecorder()
	e := &executor{plan: p, w: w, opt: opt, task: fmt.Sprintf("%d/%d", t.Index, t.Count), sink: rec.write}
	if err := e.execute(ctx, rec.own(units)); err != nil {
		return err
	}
	if rec.failed > 0 {
		return fmt.Errorf("batch: %w: %d of the %d units of task %d/%d failed", ErrFailed, rec.failed, len(units), t.Index, t.Count)
	}
	return nil
}

// RunGather is the step after the array tasks: it runs the units no task
// owns (merges of split solves, their applies and evaluations) and any
// unit of a task that left no record (a task that never ran or was
// interrupted), then writes the summary. A unit a task recorded as failed
// is not retried here: rerun its task. The error wraps ErrFailed when a
// job failed.
func (p *Plan) RunGather(ctx context.Context, w Worker, opt Options) (*Summary, error) {
	prior := p.ReadRecords()
	return p.runAndSummarize(ctx, p.gatherUnits(prior), "gather", prior, w, opt)
}

// GatherUnits returns the units RunGather would run.
func (p *Plan) GatherUnits() []*Unit { return p.gatherUnits(p.ReadRecords()) }

func (p *Plan) gatherUnits(prior map[string]*Record) []*Unit {
	var list []*Unit
	for _, u := range p.Units {
		if u.Gather || prior[u.ID] == nil {
			list = append(list, u)
		}
	}
	return list
}

// A Preview is what running a unit would do.
type Preview struct {
	Unit *Unit
	// Status is Pending for a unit that would run, Skipped for one whose
	// output is already there (Done) or that nothing needs, Failed for one
	// whose check failed (Error).
	Status Status
	Done   bool
	Error  string
	Memory int64 // what a unit that would run declared
}

// Preview finds what running list would do, as a run finds it (which
// outputs are already there and made from the current inputs, which units
// nothing needs, what each needs) without running a unit or writing
// anything. The previews follow list's order.
func (p *Plan) Preview(ctx context.Context, list []*Unit, w Worker, opt Options) ([]Preview, error) {
	e := &executor{plan: p, w: w, opt: Options{Jobs: opt.Jobs, Memory: opt.Memory}, sink: func(*Record) error { return nil }}
	if _, err := e.settle(ctx, list); err != nil {
		return nil, err
	}
	out := make([]Preview, len(list))
	for i, u := range list {
		st := e.finished[u]
		if st == "" {
			st = Pending
		}
		out[i] = Preview{Unit: u, Status: st, Done: e.done[u], Error: e.errs[u], Memory: e.mem[u]}
	}
	return out, nil
}

// RunAll runs the whole batch in this process and writes the summary. The
// error wraps ErrFailed when a job failed.
func (p *Plan) RunAll(ctx context.Context, w Worker, opt Options) (*Summary, error) {
	return p.runAndSummarize(ctx, p.Units, "all", nil, w, opt)
}

func (p *Plan) runAndSummarize(ctx context.Context, list []*Unit, task string, prior map[string]*Record, w Worker, opt Options) (*Summary, error) {
	rec := p.newRecorder()
	e := &executor{plan: p, w: w, opt: opt, task: task, prior: prior, sink: rec.write}
	runErr := e.execute(ctx, rec.own(list))
	records := map[string]*Record{}
	for id, r := range prior {
		records[id] = r
	}
	for id, r := range rec.records {
		records[id] = r
	}
	s := p.Summary(records)
	if err := s.Write(p.File.Dir); err != nil {
		return s, errors.Join(runErr, err)
	}
	switch {
	case runErr != nil:
		return s, runErr
	case !s.OK():
		return s, fmt.Errorf("batch: %w: %d failed, %d pending of %d jobs", ErrFailed, s.Totals.Failed, s.Totals.Pending, len(s.Jobs))
	}
	return s, nil
}

// ReadRecords returns the records in the state directory by unit ID.
// A record that cannot be read counts as absent: its unit runs again.
func (p *Plan) ReadRecords() map[string]*Record {
	records := map[string]*Record{}
	for _, u := range p.Units {
		data, err := os.ReadFile(p.recordPath(u))
		if err != nil {
			continue
		}
		r := new(Record)
		if json.Unmarshal(data, r) == nil && r.Unit == u.ID {
			records[u.ID] = r
		}
	}
	return records
}

// A recorder writes the records of the units one process owns.
type recorder struct {
	plan    *Plan
	records map[string]*Record
	failed  int
}

func (p *Plan) newRecorder() *recorder {
	return &recorder{plan: p, records: map[string]*Record{}}
}

// own removes the old records of the units this process is about to run,
// so that a unit it does not finish is left without one and a later
// gather step runs it.
func (r *recorder) own(units []*Unit) []*Unit {
	for _, u := range units {
		os.Remove(r.plan.recordPath(u))
	}
	return units
}

func (r *recorder) write(rec *Record) error {
	r.records[rec.Unit] = rec
	if rec.Status == Failed {
		r.failed++
	}
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(r.plan.File.Dir, "units", rec.Unit+".json"), append(data, '\n'))
}

// writeFileAtomic writes data to path, making its directory if need be;
// a reader on any node sees the whole file or none.
func writeFileAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	if err := safefile.WriteFile(path, data); err != nil {
		return fmt.Errorf("batch: writing %s: %w", path, err)
	}
	return nil
}
