package batch

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
)

// ErrIndexRange is returned for a task index outside [0, count).
var ErrIndexRange = errors.New("task index out of range")

// A KeyFunc returns the key of the solve a job can share: jobs with equal
// keys (same old and new tokenizer, donor and method options) share one
// recipe. "" means the job cannot use a recipe and runs whole. An error
// fails that job only. The key must not depend on the node (fingerprint
// files by content, not by absolute path): every array task computes it.
type KeyFunc func(*Job) (string, error)

// A Group is a set of jobs that share one solve.
type Group struct {
	ID     string // from the key: the same on every node
	Key    string
	Jobs   []*Job
	Shards int // the solve's shards; 1 when not split
}

// UnitKind says what a unit does.
type UnitKind int

const (
	SolveUnit UnitKind = iota // solve a group's recipe, or one shard of it
	MergeUnit                 // merge a split recipe's shards
	ApplyUnit                 // apply a group's recipe to one job's base
	RunUnit                   // one whole job, solve and apply in one
	EvalUnit                  // score one job's output
)

func (k UnitKind) String() string {
	switch k {
	case SolveUnit:
		return "solve"
	case MergeUnit:
		return "merge"
	case ApplyUnit:
		return "apply"
	case RunUnit:
		return "run"
	case EvalUnit:
		return "eval"
	}
	return fmt.Sprintf("UnitKind(%d)", int(k))
}

// A Unit is one piece of work that writes one output: a recipe or one of
// its shards, a model directory, or an evaluation.
type Unit struct {
	ID    string // unique in the plan, usable as a file name
	Kind  UnitKind
	Group *Group // nil for run and eval units of jobs that share nothing
	// Job is the job the unit serves; for solve and merge units, the
	// group's first job, whose tokenizers, donor and options are the
	// group's.
	Job   *Job
	Shard int // of a split solve: this shard, 0 ≤ Shard < Group.Shards
	// Out is what the unit writes, and nothing else: a recipe or shard
	// path in the state directory, the job's output directory, or (eval)
	// a file in the state directory. Write it atomically.
	Out  string
	Deps []*Unit
	// Gather marks units that the gather step runs: the merge of a split
	// solve and what depends on it. Array tasks run the others.
	Gather bool

	item int // index of the work item that keeps this unit on one task
}

// Inputs returns the outputs of the units u depends on: the recipe an
// apply unit reads, the shards a merge unit merges, the model an eval unit
// scores.
func (u *Unit) Inputs() []string {
	in := make([]string, len(u.Deps))
	for i, d := range u.Deps {
		in[i] = d.Out
	}
	return in
}

// A Plan is the work of a job file as units, in dependency order.
type Plan struct {
	File   *File
	Groups []*Group // groups whose solve is shared or split
	Units  []*Unit  // every unit after the units it depends on
	// items counts the sets of units an array task runs together: a whole
	// job, a shared solve with its applies, or one shard.
	items int
}

// NewPlan groups f's jobs by key into units. Jobs with an error get no
// unit; jobs whose key fails get that error. Paths of the state directory
// derive from f.Dir.
func NewPlan(f *File, key KeyFunc) *Plan {
	p := &Plan{File: f}
	byKey := map[string]*Group{}
	var order []*Group // groups in the order of their first job
	for _, j := range f.Jobs {
		if j.Err != nil {
			continue
		}
		k, err := key(j)
		switch {
		case err != nil:
			j.Err = &Error{File: f.name, Line: j.Line, Err: err}
			continue
		case k == "" && j.Shards > 1:
			j.Err = &Error{File: f.name, Line: j.Line, Err: fmt.Errorf("shards: %d: this job cannot split its solve", j.Shards)}
			continue
		case k == "":
			order = append(order, &Group{Jobs: []*Job{j}, Shards: 1})
			continue
		}
		g := byKey[k]
		if g == nil {
			sum := sha256.Sum256([]byte(k))
			g = &Group{ID: "g" + hex.EncodeToString(sum[:6]), Key: k, Shards: 1}
			byKey[k] = g
			order = append(order, g)
		}
		g.Jobs = append(g.Jobs, j)
		g.Shards = max(g.Shards, j.Shards)
	}
	for _, g := range order {
		if len(g.Jobs) == 1 && g.Shards == 1 {
			p.addRun(g.Jobs[0])
			continue
		}
		p.Groups = append(p.Groups, g)
		if g.Shards == 1 {
			p.addShared(g)
		} else {
			p.addSplit(g)
		}
	}
	return p
}

// addRun plans a job that shares nothing: one item, run then eval.
func (p *Plan) addRun(j *Job) {
	run := p.add(&Unit{ID: "run-" + j.ID, Kind: RunUnit, Job: j, Out: j.Out})
	p.addEval(run)
	p.items++
}

// addShared plans a shared, unsplit solve: one item, the solve then each
// job's apply and eval, so one task does all without waiting for another.
func (p *Plan) addShared(g *Group) {
	solve := p.add(&Unit{ID: "solve-" + g.ID, Kind: SolveUnit, Group: g, Job: g.Jobs[0], Out: p.recipePath(g)})
	for _, j := range g.Jobs {
		apply := p.add(&Unit{ID: "apply-" + j.ID, Kind: ApplyUnit, Group: g, Job: j, Out: j.Out, Deps: []*Unit{solve}})
		p.addEval(apply)
	}
	p.items++
}

// addSplit plans a split solve: one item per shard for the array tasks;
// the merge, applies and evals for the gather step.
func (p *Plan) addSplit(g *Group) {
	var shards []*Unit
	for s := range g.Shards {
		out := filepath.Join(p.File.Dir, "recipes", g.ID, fmt.Sprintf("shard-%d-of-%d", s, g.Shards))
		shards = append(shards, p.add(&Unit{ID: fmt.Sprintf("solve-%s-%d-of-%d", g.ID, s, g.Shards), Kind: SolveUnit, Group: g, Job: g.Jobs[0], Shard: s, Out: out}))
		p.items++
	}
	merge := p.add(&Unit{ID: "merge-" + g.ID, Kind: MergeUnit, Group: g, Job: g.Jobs[0], Out: p.recipePath(g), Deps: shards, Gather: true})
	for _, j := range g.Jobs {
		apply := p.add(&Unit{ID: "apply-" + j.ID, Kind: ApplyUnit, Group: g, Job: j, Out: j.Out, Deps: []*Unit{merge}, Gather: true})
		p.addEval(apply)
	}
}

func (p *Plan) addEval(model *Unit) {
	j := model.Job
	if j.Eval == nil {
		return
	}
	out := filepath.Join(p.File.Dir, "evals", j.ID+".json")
	p.add(&Unit{ID: "eval-" + j.ID, Kind: EvalUnit, Group: model.Group, Job: j, Out: out, Deps: []*Unit{model}, Gather: model.Gather})
}

// add appends u to the plan, in the item being built unless it is the
// gather step's.
func (p *Plan) add(u *Unit) *Unit {
	u.item = p.items
	if u.Gather {
		u.item = -1
	}
	p.Units = append(p.Units, u)
	return u
}

func (p *Plan) recipePath(g *Group) string {
	return filepath.Join(p.File.Dir, "recipes", g.ID, "recipe")
}

// recordPath is where a unit's record goes; only the process running the
// unit writes it.
func (p *Plan) recordPath(u *Unit) string {
	return filepath.Join(p.File.Dir, "units", u.ID+".json")
}

// A Task is one of Count array tasks, numbered from 0.
type Task struct{ Index, Count int }

func (t Task) check() error {
	if t.Count < 1 || t.Index < 0 || t.Index >= t.Count {
		return fmt.Errorf("batch: %w: index %d, count %d", ErrIndexRange, t.Index, t.Count)
	}
	return nil
}

// Slice returns the units task t runs, in plan order: whole items, given
// out largest first to the least loaded task (ties to the lowest index),
// so the assignment depends only on the plan and every node computes the
// same one. Units of the gather step are in no slice.
func (p *Plan) Slice(t Task) ([]*Unit, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	size := make([]int, p.items)
	for _, u := range p.Units {
		if !u.Gather {
			size[u.item]++
		}
	}
	byWeight := make([]int, p.items)
	for i := range byWeight {
		byWeight[i] = i
	}
	slices.SortStableFunc(byWeight, func(a, b int) int { return cmp.Compare(size[b], size[a]) })
	load := make([]int, t.Count)
	task := make([]int, p.items)
	for _, it := range byWeight {
		least := slices.Index(load, slices.Min(load))
		task[it] = least
		load[least] += size[it]
	}
	var mine []*Unit
	for _, u := range p.Units {
		if !u.Gather && task[u.item] == t.Index {
			mine = append(mine, u)
		}
	}
	return mine, nil
}
