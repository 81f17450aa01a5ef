package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"github.com/spf13/pflag"

	"github.com/transplant-dev/transplant"
	"github.com/transplant-dev/transplant/batch"
	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/internal/safefile"
	"github.com/transplant-dev/transplant/recipe"
	"github.com/transplant-dev/transplant/tokenizer"
)

// batchWorker does the units of a batch with the same steps as run,
// apply, recipe merge and eval.
type batchWorker struct {
	mu        sync.Mutex
	baselines map[[2]string]scoredBaseline // by baseline and text
}

// scoredBaseline is a baseline's score of a text, with its located
// targets for splitting other scores against it.
type scoredBaseline struct {
	score   eval.ModelScore
	targets eval.Targets
}

var _ batch.Worker = (*batchWorker)(nil)

func newBatchWorker() *batchWorker {
	return &batchWorker{baselines: map[[2]string]scoredBaseline{}}
}

// spec reads a job's options as run would read them.
func (w *batchWorker) spec(j *batch.Job) (runSpec, error) {
	var r runFlags
	fs := pflag.NewFlagSet("job", pflag.ContinueOnError)
	r.register(fs)
	if err := fs.Parse(j.Args()); err != nil {
		return runSpec{}, err
	}
	return r.spec()
}

// open opens a job's inputs, reads its spec and settles its methods.
func (w *batchWorker) open(ctx context.Context, j *batch.Job) (*transplant.Session, runSpec, error) {
	sp, err := w.spec(j)
	if err != nil {
		return nil, sp, err
	}
	s, err := openSession(ctx, sp.in)
	if err == nil {
		if err = sp.choose(ctx, s); err != nil {
			s.Close()
		}
	}
	return s, sp, err
}

// key groups jobs that build the same recipe. With --method auto scoring
// candidates on a calibration text, the choice depends on each base's own
// weights: such a job runs whole.
func (w *batchWorker) key(j *batch.Job) (string, error) {
	sp, err := w.spec(j)
	if err != nil {
		return "", err
	}
	if (sp.mf.auto() && sp.mf.calibration != "") || sp.mf.calibrateHead || sp.mf.calibrateToDonor {
		return "", nil // a calibrated head is fitted to each base: no recipe
	}
	s, sp, err := w.open(context.Background(), j)
	if err != nil {
		return "", err
	}
	defer s.Close()
	return s.SolveKey(sp.c, sp.bo.Seed)
}

// Do implements batch.Worker.
func (w *batchWorker) Do(ctx context.Context, u *batch.Unit) (batch.Result, error) {
	switch u.Kind {
	case batch.RunUnit:
		return w.run(ctx, u.Job)
	case batch.SolveUnit:
		return batch.Result{}, w.solve(ctx, u)
	case batch.MergeUnit:
		return batch.Result{}, w.merge(u)
	case batch.ApplyUnit:
		return w.apply(ctx, u.Job, u.Inputs()[0])
	case batch.EvalUnit:
		return w.eval(ctx, u)
	}
	return batch.Result{}, fmt.Errorf("unit %s: unknown kind %v", u.ID, u.Kind)
}

func (w *batchWorker) run(ctx context.Context, j *batch.Job) (batch.Result, error) {
	s, sp, err := w.open(ctx, j)
	if err != nil {
		return batch.Result{}, err
	}
	defer s.Close()
	b, err := s.Build(ctx, sp.c, sp.bo)
	if err != nil {
		return batch.Result{}, err
	}
	rep, err := s.Write(ctx, j.Out, b, sp.wo)
	if err != nil {
		return batch.Result{}, err
	}
	return reportResult(rep), nil
}

func (w *batchWorker) solve(ctx context.Context, u *batch.Unit) error {
	s, sp, err := w.open(ctx, u.Job)
	if err != nil {
		return err
	}
	defer s.Close()
	if u.Group.Shards > 1 {
		sp.bo.Shard, sp.bo.Shards = u.Shard, u.Group.Shards
	}
	b, err := s.Build(ctx, sp.c, sp.bo)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(u.Out), 0o777); err != nil {
		return err
	}
	return saveRecipe(s, b, u.Out)
}

func (w *batchWorker) merge(u *batch.Unit) error {
	return recipe.MergeFiles(u.Out, u.Inputs()...)
}

func (w *batchWorker) apply(ctx context.Context, j *batch.Job, recipePath string) (batch.Result, error) {
	sp, err := w.spec(j)
	if err != nil {
		return batch.Result{}, err
	}
	s, err := openSession(ctx, transplant.Inputs{Base: j.Base, Recipe: recipePath})
	if err != nil {
		return batch.Result{}, err
	}
	defer s.Close()
	b, err := s.RecipeBuilt(ctx, nil) // calibrated jobs run whole (key)
	if err != nil {
		return batch.Result{}, err
	}
	rep, err := s.Write(ctx, j.Out, b, sp.wo)
	if err != nil {
		return batch.Result{}, err
	}
	return reportResult(rep), nil
}

// reportResult is what the summary shows of a transplant.
func reportResult(rep *transplant.Report) batch.Result {
	k := rep.Alignment.Kinds
	return batch.Result{Counts: map[string]int64{
		"rows": int64(rep.Alignment.NewRows), "copied": int64(rep.Alignment.Shared), "built": int64(k["new"] + k["new-special"]),
	}}
}

// evalRecord is what an eval unit writes: the scores, and what they were
// scores of, so that a rerun knows whether they still hold.
type evalRecord struct {
	Model    string             `json:"model"`
	Report   string             `json:"transplant_json_sha256"`
	Text     string             `json:"text_sha256"`
	Baseline string             `json:"baseline,omitempty"`
	Scores   eval.Report        `json:"scores"`
	Result   map[string]float64 `json:"result"`
}

func (w *batchWorker) eval(ctx context.Context, u *batch.Unit) (batch.Result, error) {
	j := u.Job
	model := u.Inputs()[0]
	rec, err := w.evalInputs(ctx, j, model)
	if err != nil {
		return batch.Result{}, err
	}
	text, err := os.ReadFile(j.Eval.Text)
	if err != nil {
		return batch.Result{}, err
	}
	rec.Scores.Text = filepath.Base(j.Eval.Text)
	var split eval.SplitOptions
	if j.Eval.Baseline != "" {
		base, err := w.baseline(ctx, j.Eval.Baseline, j.Eval.Text, text)
		if err != nil {
			return batch.Result{}, err
		}
		rec.Scores.AddModel(base.score, true)
		split.Against = &base.targets
		if split.Baseline, err = tokenizer.Load(j.Eval.Baseline); err != nil {
			return batch.Result{}, err
		}
	}
	score, err := eval.ScoreDirSplit(ctx, model, text, scoreOptions(), split)
	if err != nil {
		return batch.Result{}, err
	}
	rec.Scores.AddModel(score, false)
	rec.Result = evalResult(rec.Scores.Models[len(rec.Scores.Models)-1])
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return batch.Result{}, err
	}
	if err := os.MkdirAll(filepath.Dir(u.Out), 0o777); err != nil {
		return batch.Result{}, err
	}
	return batch.Result{Eval: rec.Result}, safefile.WriteFile(u.Out, data)
}

// evalInputs identifies what an evaluation scores.
func (w *batchWorker) evalInputs(ctx context.Context, j *batch.Job, model string) (evalRecord, error) {
	rep, err := safefile.SHA256(ctx, filepath.Join(model, "transplant.json"))
	if err != nil {
		return evalRecord{}, err
	}
	text, err := safefile.SHA256(ctx, j.Eval.Text)
	if err != nil {
		return evalRecord{}, err
	}
	return evalRecord{Model: model, Report: rep, Text: text, Baseline: j.Eval.Baseline}, nil
}

// baseline scores a baseline once per text in this process.
func (w *batchWorker) baseline(ctx context.Context, dir, textPath string, text []byte) (scoredBaseline, error) {
	k := [2]string{dir, textPath}
	w.mu.Lock()
	b, ok := w.baselines[k]
	w.mu.Unlock()
	if ok {
		return b, nil
	}
	s, t, err := eval.ScoreDirTargets(ctx, dir, text, scoreOptions(), eval.SplitOptions{})
	if err != nil {
		return b, err
	}
	b = scoredBaseline{s, t}
	w.mu.Lock()
	w.baselines[k] = b
	w.mu.Unlock()
	return b, nil
}

// scoreOptions are the protocol's defaults.
func scoreOptions() eval.Options { return eval.Options{} }

// evalResult is what the summary shows of a score: with a split, each
// part's bits per byte, and the baseline's on the same bytes (base_*).
func evalResult(m eval.ModelScore) map[string]float64 {
	r := map[string]float64{"bits_per_byte": m.BitsPerByte}
	if m.Ratio > 0 {
		r["ratio"] = m.Ratio
	}
	if sp := m.Split; sp != nil {
		r["new_bpb"], r["after_new_bpb"], r["shared_bpb"] = sp.New.BitsPerByte, sp.AfterNew.BitsPerByte, sp.Shared.BitsPerByte
	}
	if sp := m.Split; sp != nil && sp.Baseline {
		r["base_new_bpb"], r["base_after_new_bpb"], r["base_shared_bpb"] = sp.New.BaselineBitsPerByte, sp.AfterNew.BaselineBitsPerByte, sp.Shared.BaselineBitsPerByte
	}
	return r
}

// Done implements batch.Worker: an output made from the unit's current
// inputs and options is kept.
func (w *batchWorker) Done(ctx context.Context, u *batch.Unit) (batch.Result, bool, error) {
	switch u.Kind {
	case batch.RunUnit, batch.ApplyUnit:
		return w.modelDone(ctx, u)
	case batch.SolveUnit, batch.MergeUnit:
		return batch.Result{}, w.recipeDone(ctx, u), nil
	case batch.EvalUnit:
		return w.evalDone(ctx, u)
	}
	return batch.Result{}, false, nil
}

// modelDone reports whether the job's output directory was made from the
// files and with the options the job names now.
func (w *batchWorker) modelDone(ctx context.Context, u *batch.Unit) (batch.Result, bool, error) {
	data, err := os.ReadFile(filepath.Join(u.Out, "transplant.json"))
	if err != nil {
		return batch.Result{}, false, nil
	}
	var rep transplant.Report
	if json.Unmarshal(data, &rep) != nil {
		return batch.Result{}, false, nil
	}
	sp, err := w.spec(u.Job)
	if err != nil {
		return batch.Result{}, false, err
	}
	in := sp.in
	if u.Kind == batch.RunUnit && sp.mf.auto() {
		// auto's choice is recorded; its inputs, the calibration text
		// among them, are checked below.
		sp.c = transplant.Choice{}
	}
	if u.Kind == batch.ApplyUnit {
		if _, err := os.Stat(u.Inputs()[0]); err != nil {
			return batch.Result{}, false, nil
		}
		in = transplant.Inputs{Base: u.Job.Base, Recipe: u.Inputs()[0]}
	}
	s, err := openSession(ctx, in)
	if err != nil {
		return batch.Result{}, false, nil // the unit will say what is wrong
	}
	defer s.Close()
	files, err := s.InputChecksums(ctx, sp.wo.MoreInputs...)
	if err != nil || !slices.Equal(files, rep.Inputs) || (u.Kind == batch.RunUnit && !sameMethods(rep, sp)) {
		return batch.Result{}, false, err
	}
	return reportResult(&rep), true, nil
}

// sameMethods reports whether a report's tables were built with the
// spec's methods, parameters and seed.
func sameMethods(rep transplant.Report, sp runSpec) bool {
	if rep.Seed != sp.bo.Seed {
		return false
	}
	if sp.mf.auto() {
		return rep.Auto != nil
	}
	for _, t := range rep.Tables {
		m := sp.c.For(t.Role)
		params, err := json.Marshal(m)
		if err != nil || t.Method != m.Name() || !jsonEqual(params, t.Params) {
			return false
		}
	}
	return true
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// recipeDone reports whether the unit's recipe or shard exists for the
// solve its jobs ask for now.
func (w *batchWorker) recipeDone(ctx context.Context, u *batch.Unit) bool {
	r, err := recipe.ReadFile(u.Out)
	if err != nil {
		return false
	}
	s, sp, err := w.open(ctx, u.Job)
	if err != nil {
		return false
	}
	defer s.Close()
	key, err := s.SolveKey(sp.c, sp.bo.Seed)
	if err != nil || r.Meta.Key != key {
		return false
	}
	shard := r.Meta.Shard
	if u.Kind == batch.SolveUnit && u.Group.Shards > 1 {
		return shard != nil && shard.Index == u.Shard && shard.Count == u.Group.Shards
	}
	return shard == nil
}

// evalDone reports whether the evaluation scored the model and text there
// are now.
func (w *batchWorker) evalDone(ctx context.Context, u *batch.Unit) (batch.Result, bool, error) {
	data, err := os.ReadFile(u.Out)
	if err != nil {
		return batch.Result{}, false, nil
	}
	var old evalRecord
	if json.Unmarshal(data, &old) != nil {
		return batch.Result{}, false, nil
	}
	now, err := w.evalInputs(ctx, u.Job, u.Inputs()[0])
	if err != nil || now.Report != old.Report || now.Text != old.Text || now.Baseline != old.Baseline {
		return batch.Result{}, false, nil
	}
	return batch.Result{Eval: old.Result}, true, nil
}

// Memory implements batch.Worker: the plan's memory for transplants,
// float32 weights for evaluations. A job whose methods auto chooses
// reserves its costliest candidate, so that planning never scores them.
func (w *batchWorker) Memory(ctx context.Context, u *batch.Unit) (int64, error) {
	switch u.Kind {
	case batch.MergeUnit:
		return 1 << 30, nil
	case batch.EvalUnit:
		return evalMemory(u.Job)
	}
	sp, err := w.spec(u.Job)
	if err != nil {
		return 0, err
	}
	s, err := openSession(ctx, sp.in)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	var plan transplant.Plan
	switch {
	case u.Kind == batch.ApplyUnit:
		plan, err = s.Plan(transplant.Choice{Input: heuristics.Mean{}}, sp.wo.Dtype) // the tables alone
	default:
		plan, err = sp.mf.plan(s, sp.wo.Dtype)
	}
	return plan.MemoryBytes, err
}

// evalMemory is what scoring holds: the model's and the baseline's
// weights in float32.
func evalMemory(j *batch.Job) (int64, error) {
	var total int64
	for _, dir := range []string{j.Out, j.Eval.Baseline, j.Base} {
		if dir == "" || dir == j.Out {
			continue // the output does not exist yet: the base's size stands for it
		}
		m, err := checkpoint.Open(dir)
		if err != nil {
			return 0, err
		}
		total += 4 * m.NumParameters()
		m.Close()
	}
	return total, nil
}
