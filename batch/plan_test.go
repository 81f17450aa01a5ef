package batch

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// testKey groups jobs by tokenizer, donor and method, as the core would;
// "zero" shares nothing and "broken" cannot be fingerprinted. It names
// files by base name, not by absolute path, so that nodes agree.
func testKey(j *Job) (string, error) {
	m := strings.Join(j.Options["method"], ",")
	switch m {
	case "zero":
		return "", nil
	case "broken":
		return "", errors.New("cannot read the tokenizer")
	}
	return filepath.Base(j.Tokenizer) + "|" + filepath.Base(j.Donor) + "|" + m, nil
}

const familyJobs = `
defaults: {tokenizer: tok, donor: donor, method: omp}
jobs:
  - {base: models/base, out: out/base, eval: {text: heldout.txt}}
  - {base: models/base-instruct, out: out/instruct}
  - {base: models/ft-a, out: out/ft-a, method: subword, shards: 2, eval: {text: heldout.txt}}
  - {base: models/ft-b, out: out/ft-b, method: subword}
  - {base: models/base, out: out/zero, method: zero}
  - {base: models/base, out: out/alone, method: knn, eval: {text: heldout.txt}}
  - {base: models/missing, out: out/missing}
  - {base: models/base, out: out/zero-split, method: zero, shards: 2}
`

// unitNames spells units as kind:name for comparison, with the name of
// the job (its output's base name) or the group's first job.
func unitNames(units []*Unit) []string {
	var out []string
	for _, u := range units {
		name := fmt.Sprintf("%s:%s", u.Kind, filepath.Base(u.Job.Out))
		if u.Kind == SolveUnit && u.Group.Shards > 1 {
			name += fmt.Sprintf("#%d", u.Shard)
		}
		if u.Gather {
			name += "(gather)"
		}
		out = append(out, name)
	}
	return out
}

func TestNewPlan(t *testing.T) {
	dir := tree(t)
	f, err := parseIn(t, dir, familyJobs)
	if err != nil {
		t.Fatal(err)
	}
	p := NewPlan(f, testKey)
	want := []string{
		"solve:base", "apply:base", "eval:base", "apply:instruct",
		"solve:ft-a#0", "solve:ft-a#1", "merge:ft-a(gather)", "apply:ft-a(gather)", "eval:ft-a(gather)", "apply:ft-b(gather)",
		"run:zero", "run:alone", "eval:alone",
	}
	if got := unitNames(p.Units); !slices.Equal(got, want) {
		t.Errorf("units\n got %q\nwant %q", got, want)
	}
	if len(p.Groups) != 2 || p.Groups[0].Shards != 1 || p.Groups[1].Shards != 2 || len(p.Groups[1].Jobs) != 2 {
		t.Errorf("groups %+v", p.Groups)
	}
	if !errors.Is(f.Jobs[6].Err, ErrMissingInput) {
		t.Errorf("missing base: %v", f.Jobs[6].Err)
	}
	if err := f.Jobs[7].Err; err == nil || !strings.Contains(err.Error(), "jobs.yaml:11: shards: 2: this job cannot split") {
		t.Errorf("a job that shares nothing, split: %v", err)
	}
	// Outputs: recipes and shards in the state directory, models where
	// the job says, evaluations in the state directory.
	byID := map[string]*Unit{}
	for _, u := range p.Units {
		byID[u.ID] = u
	}
	g := p.Groups[1]
	merge := byID["merge-"+g.ID]
	if want := filepath.Join(f.Dir, "recipes", g.ID, "recipe"); merge.Out != want {
		t.Errorf("merge writes %s, want %s", merge.Out, want)
	}
	if got, want := merge.Inputs(), []string{
		filepath.Join(f.Dir, "recipes", g.ID, "shard-0-of-2"), filepath.Join(f.Dir, "recipes", g.ID, "shard-1-of-2"),
	}; !slices.Equal(got, want) {
		t.Errorf("merge reads %q, want %q", got, want)
	}
	apply := byID["apply-"+f.Jobs[2].ID]
	if apply.Out != f.Jobs[2].Out || !slices.Equal(apply.Inputs(), []string{merge.Out}) {
		t.Errorf("apply writes %s from %q", apply.Out, apply.Inputs())
	}

	f2, err := parseIn(t, dir, "jobs: [{base: models/base, out: o, method: broken}]\n")
	if err != nil {
		t.Fatal(err)
	}
	if p := NewPlan(f2, testKey); len(p.Units) != 0 || !strings.Contains(fmt.Sprint(f2.Jobs[0].Err), "jobs.yaml:1: cannot read the tokenizer") {
		t.Errorf("a key that fails: %d units, %v", len(p.Units), f2.Jobs[0].Err)
	}
}

// randomFile makes a job file's worth of jobs with random grouping,
// shards and evaluations.
func randomFile(r *rand.Rand, n int) *File {
	f := &File{Path: "/jobs/jobs.yaml", name: "jobs.yaml", Dir: "/jobs/state"}
	methods := []string{"omp", "subword", "knn", "zero", "mean"}
	for i := range n {
		j := &Job{ID: fmt.Sprintf("j%d", i), Line: i + 1, Base: "/m", Out: fmt.Sprintf("/out/%d", i),
			Options: map[string][]string{"method": {methods[r.IntN(len(methods))]}}}
		if r.IntN(3) == 0 {
			j.Eval = &Eval{Text: "/t"}
		}
		if r.IntN(4) == 0 && j.Options["method"][0] != "zero" {
			j.Shards = 1 + r.IntN(4)
		}
		f.Jobs = append(f.Jobs, j)
	}
	return f
}

func TestPlanInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		p := NewPlan(randomFile(r, 1+r.IntN(30)), testKey)
		pos := map[*Unit]int{}
		outs := map[string]string{}
		for i, u := range p.Units {
			for _, d := range u.Deps {
				if _, ok := pos[d]; !ok {
					t.Fatalf("trial %d: %s before its dependency %s", trial, u.ID, d.ID)
				}
			}
			pos[u] = i
			for _, path := range []string{u.Out, p.recordPath(u)} {
				if prev, ok := outs[path]; ok {
					t.Fatalf("trial %d: %s and %s both write %s", trial, prev, u.ID, path)
				}
				outs[path] = u.ID
			}
		}
		if _, err := p.Slice(Task{0, 0}); !errors.Is(err, ErrIndexRange) {
			t.Fatalf("count 0: %v", err)
		}
		for n := 1; n <= 12; n++ {
			checkSlices(t, p, n)
		}
	}
}

// checkSlices checks that tasks 0..n-1 together run every unit but the
// gather step's exactly once, that no unit waits for another task, that
// the assignment is the same when computed again, and that loads are
// balanced to within one item.
func checkSlices(t *testing.T, p *Plan, n int) {
	t.Helper()
	owner := map[*Unit]int{}
	loads := make([]int, n)
	for i := range n {
		units, err := p.Slice(Task{i, n})
		if err != nil {
			t.Fatal(err)
		}
		again, _ := p.Slice(Task{i, n})
		if !slices.Equal(units, again) {
			t.Fatalf("task %d/%d: two calls differ", i, n)
		}
		for _, u := range units {
			if prev, ok := owner[u]; ok {
				t.Fatalf("%s in tasks %d and %d of %d", u.ID, prev, i, n)
			}
			owner[u] = i
			loads[i]++
		}
	}
	largest := 0
	items := map[int]int{}
	for _, u := range p.Units {
		_, owned := owner[u]
		if owned == u.Gather {
			t.Fatalf("%s: gather %v, owned by a task %v", u.ID, u.Gather, owned)
		}
		for _, d := range u.Deps {
			if owned && owner[d] != owner[u] {
				t.Fatalf("%s (task %d) waits for %s (task %d)", u.ID, owner[u], d.ID, owner[d])
			}
		}
		if !u.Gather {
			items[u.item]++
			largest = max(largest, items[u.item])
		}
	}
	if len(owner) > 0 && slices.Max(loads)-slices.Min(loads) > largest {
		t.Fatalf("loads %v with items of at most %d units", loads, largest)
	}
}

// Nodes that parse the same job file, mounted anywhere, assign the same
// units to the same task.
func TestSliceStableAcrossNodes(t *testing.T) {
	var assignments [2][]string
	for node := range assignments {
		f, err := parseIn(t, tree(t), familyJobs)
		if err != nil {
			t.Fatal(err)
		}
		p := NewPlan(f, testKey)
		for i := range 3 {
			units, _ := p.Slice(Task{i, 3})
			for _, u := range units {
				assignments[node] = append(assignments[node], fmt.Sprintf("%d:%s", i, u.ID))
			}
		}
	}
	if !slices.Equal(assignments[0], assignments[1]) || len(assignments[0]) == 0 {
		t.Errorf("node 0: %q\nnode 1: %q", assignments[0], assignments[1])
	}
}

func TestTaskFromEnv(t *testing.T) {
	tests := []struct {
		name         string
		index, count int
		env          map[string]string
		want         Task
		ok           bool
		err          error // nil: no error; errAny: some error
	}{
		{"nothing: the whole batch", -1, 0, nil, Task{}, false, nil},
		{"flags", 2, 4, nil, Task{2, 4}, true, nil},
		{"flags win over Slurm", 1, 4, map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4"}, Task{1, 4}, true, nil},
		{"index without count", 1, 0, nil, Task{}, false, ErrNoCount},
		{"index out of range", 4, 4, nil, Task{}, false, ErrIndexRange},
		{"negative count", 0, -2, nil, Task{}, false, ErrNoCount},
		{"count without index", -1, 4, nil, Task{}, false, errAny},
		{"Slurm", -1, 0, map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0"}, Task{3, 4}, true, nil},
		{"Slurm from 1", -1, 0, map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "1"}, Task{0, 4}, true, nil},
		{"Slurm with a step", -1, 0, map[string]string{"SLURM_ARRAY_TASK_ID": "6", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_STEP": "2"}, Task{3, 4}, true, nil},
		{"Slurm off the step", -1, 0, map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_COUNT": "4", "SLURM_ARRAY_TASK_STEP": "2"}, Task{}, false, ErrIndexRange},
		{"Slurm list with gaps", -1, 0, map[string]string{"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_MIN": "1"}, Task{}, false, ErrIndexRange},
		{"Slurm count agrees", -1, 4, map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "4"}, Task{0, 4}, true, nil},
		{"Slurm count disagrees", -1, 5, map[string]string{"SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "4"}, Task{}, false, errAny},
		{"Slurm without count", -1, 0, map[string]string{"SLURM_ARRAY_TASK_ID": "0"}, Task{}, false, ErrNoCount},
		{"Slurm without count, flag", -1, 2, map[string]string{"SLURM_ARRAY_TASK_ID": "1"}, Task{1, 2}, true, nil},
		{"Slurm garbage", -1, 0, map[string]string{"SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "4"}, Task{}, false, errAny},
		{"Kubernetes", -1, 8, map[string]string{"JOB_COMPLETION_INDEX": "7"}, Task{7, 8}, true, nil},
		{"Kubernetes without count", -1, 0, map[string]string{"JOB_COMPLETION_INDEX": "0"}, Task{}, false, ErrNoCount},
		{"Kubernetes out of range", -1, 8, map[string]string{"JOB_COMPLETION_INDEX": "8"}, Task{}, false, ErrIndexRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := TaskFromEnv(tt.index, tt.count, func(k string) string { return tt.env[k] })
			switch {
			case tt.err == nil && err != nil, tt.err != nil && err == nil:
				t.Fatalf("error %v, want %v", err, tt.err)
			case tt.err != nil && tt.err != errAny && !errors.Is(err, tt.err):
				t.Fatalf("error %v, want %v", err, tt.err)
			}
			if got != tt.want || ok != tt.ok {
				t.Errorf("got %v %v, want %v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

var errAny = errors.New("any error")
