package batch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeWorker stands for the core: a unit's output is a file at Unit.Out,
// done when it exists; Do checks that its inputs exist, so that a unit
// run before its dependencies fails. It watches concurrency and memory.
type fakeWorker struct {
	mem    func(*Unit) int64
	fail   map[string]error // by unit ID
	budget int64            // to check: running units fit in it
	hold   time.Duration    // each Do takes this long
	onDo   func(*Unit)      // called as Do starts

	mu          sync.Mutex
	calls       []string
	running     map[*Unit]int64
	peak        int
	peakMem     int64
	overBudget  []string // units that ran while the budget was exceeded
	notAlone    []string // oversize units that ran with others
	interrupted int
}

func (f *fakeWorker) Done(_ context.Context, u *Unit) (Result, bool, error) {
	if _, err := os.Stat(u.Out); err != nil {
		return Result{}, false, nil
	}
	return Result{Counts: map[string]int64{"rows": 1}}, true, nil
}

func (f *fakeWorker) Memory(_ context.Context, u *Unit) (int64, error) {
	if f.mem == nil {
		return 0, nil
	}
	return f.mem(u), nil
}

func (f *fakeWorker) Do(ctx context.Context, u *Unit) (Result, error) {
	m, _ := f.Memory(ctx, u)
	f.enter(u, m)
	if f.onDo != nil {
		f.onDo(u)
	}
	select {
	case <-time.After(f.hold):
	case <-ctx.Done():
	}
	f.leave(u)
	if ctx.Err() != nil {
		f.mu.Lock()
		f.interrupted++
		f.mu.Unlock()
		return Result{}, ctx.Err()
	}
	if err := f.fail[u.ID]; err != nil {
		return Result{}, err
	}
	for _, in := range u.Inputs() {
		if _, err := os.Stat(in); err != nil {
			return Result{}, fmt.Errorf("input missing: %w", err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(u.Out), 0o755); err != nil {
		return Result{}, err
	}
	if err := os.WriteFile(u.Out, []byte(u.ID), 0o644); err != nil {
		return Result{}, err
	}
	res := Result{Counts: map[string]int64{"rows": int64(len(u.ID))}}
	if u.Kind == EvalUnit {
		res = Result{Eval: map[string]float64{"bpb": 2}}
	}
	return res, nil
}

func (f *fakeWorker) enter(u *Unit, m int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running == nil {
		f.running = map[*Unit]int64{}
	}
	f.calls = append(f.calls, u.ID)
	f.running[u] = m
	var used int64
	for _, m := range f.running {
		used += m
	}
	f.peak, f.peakMem = max(f.peak, len(f.running)), max(f.peakMem, used)
	if f.budget > 0 {
		for v, m := range f.running {
			if m > f.budget && len(f.running) > 1 {
				f.notAlone = append(f.notAlone, v.ID)
			}
		}
		if used > f.budget && len(f.running) > 1 {
			f.overBudget = append(f.overBudget, u.ID)
		}
	}
}

func (f *fakeWorker) leave(u *Unit) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.running, u)
}

// independentJobs is a plan of n jobs that share nothing.
func independentJobs(t *testing.T, n int) *Plan {
	t.Helper()
	var b strings.Builder
	b.WriteString("defaults: {method: zero, out: 'out/{base}'}\njobs:\n  - base: [")
	dir := tree(t)
	for i := range n {
		name := fmt.Sprintf("m%02d", i)
		if err := os.Mkdir(filepath.Join(dir, "models", name), 0o755); err != nil {
			t.Fatal(err)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("models/" + name)
	}
	b.WriteString("]\n")
	f, err := parseIn(t, dir, b.String())
	if err != nil {
		t.Fatal(err)
	}
	return NewPlan(f, testKey)
}

func familyPlan(t *testing.T) *Plan {
	t.Helper()
	f, err := parseIn(t, tree(t), familyJobs)
	if err != nil {
		t.Fatal(err)
	}
	return NewPlan(f, testKey)
}

func TestParallelismBound(t *testing.T) {
	for _, jobs := range []int{1, 3, 8} {
		p := independentJobs(t, 12)
		w := &fakeWorker{hold: 20 * time.Millisecond}
		s, err := p.RunAll(context.Background(), w, Options{Jobs: jobs})
		if err != nil {
			t.Fatal(err)
		}
		if w.peak != jobs || len(w.calls) != 12 || s.Totals.Done != 12 {
			t.Errorf("jobs %d: peak %d, %d calls, totals %+v", jobs, w.peak, len(w.calls), s.Totals)
		}
	}
}

func TestMemoryBudget(t *testing.T) {
	sizes := []int64{3, 4, 2, 5, 1, 3, 9, 2, 4, 6}
	const budget = 7
	p := independentJobs(t, len(sizes))
	memOf := func(u *Unit) int64 {
		var i int
		fmt.Sscanf(filepath.Base(u.Job.Base), "m%d", &i)
		return sizes[i]
	}
	var oversize []string
	w := &fakeWorker{mem: memOf, budget: budget, hold: 10 * time.Millisecond}
	opt := Options{Jobs: 8, Memory: budget, Progress: func(e Event) {
		if e.Oversize {
			oversize = append(oversize, filepath.Base(e.Unit.Job.Base))
		}
	}}
	s, err := p.RunAll(context.Background(), w, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.overBudget) > 0 || len(w.notAlone) > 0 {
		t.Errorf("over the budget: %q; oversize not alone: %q", w.overBudget, w.notAlone)
	}
	if w.peak < 2 {
		t.Errorf("peak %d units, %d bytes", w.peak, w.peakMem)
	}
	if !slices.Equal(oversize, []string{"m06"}) || s.Totals.Done != len(sizes) {
		t.Errorf("oversize %q, totals %+v", oversize, s.Totals)
	}
	// The records keep what each unit declared.
	recs := p.ReadRecords()
	if r := recs["run-"+p.File.Jobs[6].ID]; r == nil || r.Memory != 9 {
		t.Errorf("record of the oversize unit: %+v", r)
	}
}

func TestFailureIsolation(t *testing.T) {
	p := familyPlan(t)
	solveA := "solve-" + p.Groups[0].ID
	w := &fakeWorker{fail: map[string]error{solveA: errors.New("out of memory")}}
	s, err := p.RunAll(context.Background(), w, Options{Jobs: 2})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("err = %v, want ErrFailed", err)
	}
	status := map[string]Status{}
	for _, j := range s.Jobs {
		status[filepath.Base(j.Out)] = j.Status
		if filepath.Base(j.Out) == "base" && !strings.Contains(j.Error, "needs "+solveA+", which failed: out of memory") {
			t.Errorf("error of a job whose solve failed: %q", j.Error)
		}
	}
	want := map[string]Status{"base": Failed, "instruct": Failed, "ft-a": Done, "ft-b": Done, "zero": Done, "alone": Done, "missing": Failed, "zero-split": Failed}
	if !mapsEqual(status, want) {
		t.Errorf("statuses %v\nwant %v", status, want)
	}
	if s.Recipes[0].Status != Failed || s.Recipes[1].Status != Done {
		t.Errorf("recipes %+v", s.Recipes)
	}
	for _, id := range w.calls {
		if strings.HasPrefix(id, "apply-base") || strings.HasPrefix(id, "eval-base") {
			t.Errorf("%s ran although its solve failed", id)
		}
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

func TestResume(t *testing.T) {
	p := familyPlan(t)
	zero := "run-" + p.File.Jobs[4].ID
	w := &fakeWorker{fail: map[string]error{zero: errors.New("disk full")}}
	if _, err := p.RunAll(context.Background(), w, Options{Jobs: 2}); !errors.Is(err, ErrFailed) {
		t.Fatalf("first run: %v", err)
	}
	w2 := &fakeWorker{}
	s, err := p.RunAll(context.Background(), w2, Options{Jobs: 2})
	if !errors.Is(err, ErrFailed) { // the job with a missing base still fails
		t.Fatalf("second run: %v", err)
	}
	if !slices.Equal(w2.calls, []string{zero}) {
		t.Errorf("second run did %q, want only %s", w2.calls, zero)
	}
	if s.Totals != (Totals{Done: 1, Skipped: 5, Failed: 2}) {
		t.Errorf("totals %+v", s.Totals)
	}
	// A skipped unit reports the numbers Done read back.
	for _, j := range s.Jobs {
		if j.Status == Skipped && j.Counts["rows"] != 1 {
			t.Errorf("%s: counts %v", j.Out, j.Counts)
		}
	}

	// A solve whose applies are all done is not needed: removing a
	// recipe does not make the batch solve it again.
	if err := os.Remove(filepath.Join(p.File.Dir, "recipes", p.Groups[0].ID, "recipe")); err != nil {
		t.Fatal(err)
	}
	w3 := &fakeWorker{}
	if _, err := p.RunAll(context.Background(), w3, Options{Jobs: 2}); !errors.Is(err, ErrFailed) {
		t.Fatal(err)
	}
	if len(w3.calls) != 0 {
		t.Errorf("third run did %q", w3.calls)
	}
}

func TestCancel(t *testing.T) {
	p := independentJobs(t, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var started atomic.Int32
	w := &fakeWorker{hold: time.Minute, onDo: func(*Unit) {
		// Cancel once two units run: both are interrupted, none starts.
		if started.Add(1) == 2 {
			cancel()
		}
	}}

	s, err := p.RunAll(ctx, w, Options{Jobs: 2})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if len(w.calls) != 2 || w.interrupted != 2 {
		t.Errorf("%d units started, %d interrupted; want 2 and 2", len(w.calls), w.interrupted)
	}
	if s.Totals.Pending != 10 {
		t.Errorf("totals %+v, want 10 pending", s.Totals)
	}
	if recs := p.ReadRecords(); len(recs) != 0 {
		t.Errorf("records of interrupted units: %v", recs)
	}
	// The summary was written all the same.
	if _, err := os.Stat(filepath.Join(p.File.Dir, "batch.md")); err != nil {
		t.Error(err)
	}
	w2 := &fakeWorker{}
	if s, err := p.RunAll(context.Background(), w2, Options{Jobs: 2}); err != nil || s.Totals.Done != 10 {
		t.Errorf("rerun: %v, %+v", err, s.Totals)
	}
}

// TestCluster runs the family plan as three array tasks, one after the
// other as a scheduler might, then the gather step.
func TestCluster(t *testing.T) {
	p := familyPlan(t)
	const n = 3
	var calls []string
	taskOf := map[string]string{}
	for i := range n {
		w := &fakeWorker{}
		err := p.RunTask(context.Background(), Task{i, n}, w, Options{Jobs: 2})
		if err != nil {
			t.Fatalf("task %d: %v", i, err)
		}
		for _, id := range w.calls {
			taskOf[id] = fmt.Sprintf("%d/%d", i, n)
		}
		calls = append(calls, w.calls...)
	}
	if _, err := os.Stat(filepath.Join(p.File.Dir, "batch.json")); err == nil {
		t.Error("an array task wrote the summary")
	}
	w := &fakeWorker{}
	s, err := p.RunGather(context.Background(), w, Options{Jobs: 2})
	if !errors.Is(err, ErrFailed) {
		t.Fatalf("gather: %v", err)
	}
	for _, id := range w.calls {
		taskOf[id] = "gather"
	}
	calls = append(calls, w.calls...)
	ids := make([]string, len(p.Units))
	for i, u := range p.Units {
		ids[i] = u.ID
	}
	slices.Sort(ids)
	slices.Sort(calls)
	if !slices.Equal(calls, ids) {
		t.Errorf("units run\n%q\nwant each once\n%q", calls, ids)
	}
	for id, r := range p.ReadRecords() {
		if r.Task != taskOf[id] {
			t.Errorf("%s recorded by %s, run by %s", id, r.Task, taskOf[id])
		}
	}
	if s.Totals != (Totals{Done: 6, Failed: 2}) {
		t.Errorf("totals %+v", s.Totals)
	}
	// Gathering again does nothing new.
	w2 := &fakeWorker{}
	if _, err := p.RunGather(context.Background(), w2, Options{}); !errors.Is(err, ErrFailed) || len(w2.calls) != 0 {
		t.Errorf("second gather: %v, ran %q", err, w2.calls)
	}
}

func TestGatherAfterMissingAndFailedTasks(t *testing.T) {
	p := familyPlan(t)
	const n = 3
	// Task 2 solves the split group's shards; make shard 0 fail there.
	units, _ := p.Slice(Task{2, n})
	if unitNames(units)[0] != "solve:ft-a#0" {
		t.Fatalf("task 2 runs %q; the test expects the shards there", unitNames(units))
	}
	shard0 := units[0].ID
	if err := p.RunTask(context.Background(), Task{2, n}, &fakeWorker{fail: map[string]error{shard0: errors.New("killed")}}, Options{}); !errors.Is(err, ErrFailed) {
		t.Fatalf("task 2: %v", err)
	}
	// Task 0 never runs; task 1 does.
	if err := p.RunTask(context.Background(), Task{1, n}, &fakeWorker{}, Options{}); err != nil {
		t.Fatal(err)
	}
	w := &fakeWorker{}
	s, err := p.RunGather(context.Background(), w, Options{})
	if !errors.Is(err, ErrFailed) {
		t.Fatal(err)
	}
	task0, _ := p.Slice(Task{0, n})
	for _, u := range task0 {
		if !slices.Contains(w.calls, u.ID) {
			t.Errorf("gather did not run %s, left by task 0", u.ID)
		}
	}
	if slices.Contains(w.calls, shard0) {
		t.Errorf("gather retried %s, which its task recorded as failed", shard0)
	}
	var ftA JobSummary
	for _, j := range s.Jobs {
		if filepath.Base(j.Out) == "ft-a" {
			ftA = j
		}
	}
	if ftA.Status != Failed || !strings.Contains(ftA.Error, "which failed (task 2/3): killed") {
		t.Errorf("ft-a: %s %q", ftA.Status, ftA.Error)
	}
}

// A preview says what a run would do and does none of it: units whose
// output is there are skipped as done, a solve whose applies are all done
// is not needed, the rest would run with the memory they declare.
func TestPreview(t *testing.T) {
	ctx := context.Background()
	p := independentJobs(t, 3)
	w := &fakeWorker{mem: func(u *Unit) int64 { return int64(len(u.ID)) }}
	done := p.Units[1]
	os.MkdirAll(filepath.Dir(done.Out), 0o755)
	if err := os.WriteFile(done.Out, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := p.Preview(ctx, p.Units, w, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, pv := range got {
		want := Preview{Unit: p.Units[i], Status: Pending, Memory: int64(len(p.Units[i].ID))}
		if i == 1 {
			want = Preview{Unit: done, Status: Skipped, Done: true}
		}
		if pv != want {
			t.Errorf("unit %s: %+v, want %+v", p.Units[i].ID, pv, want)
		}
	}
	if len(w.calls) != 0 {
		t.Errorf("a preview ran %q", w.calls)
	}
	if _, err := os.Stat(p.File.Dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a preview wrote the state directory: %v", err)
	}

	fp := familyPlan(t)
	if _, err := fp.RunAll(ctx, &fakeWorker{}, Options{}); err != nil && !errors.Is(err, ErrFailed) {
		t.Fatal(err)
	}
	var solve *Unit
	for _, u := range fp.Units {
		if u.Kind == SolveUnit && u.Group.Shards == 1 {
			solve = u
		}
	}
	if solve == nil {
		t.Fatal("the family plan has no shared solve")
	}
	os.Remove(solve.Out)
	got, err = fp.Preview(ctx, fp.Units, &fakeWorker{}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	applies := 0
	for _, pv := range got {
		switch {
		case pv.Unit == solve && (pv.Status != Skipped || pv.Done):
			t.Errorf("the solve whose applies are done, without its recipe: %+v, want skipped as not needed", pv)
		case slices.Contains(pv.Unit.Deps, solve):
			applies++
			if pv.Status != Skipped || !pv.Done {
				t.Errorf("apply %s of the solve: %+v, want skipped as done", pv.Unit.ID, pv)
			}
		}
	}
	if applies == 0 {
		t.Error("no apply depends on the solve")
	}
}
