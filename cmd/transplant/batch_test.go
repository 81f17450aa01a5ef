package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant"
	"github.com/transplant-dev/transplant/batch"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/safetensors"
)

// fineTune copies the example base to dir with its final norm scaled: a
// checkpoint with the base's vocabulary and shapes and other weights.
func fineTune(t *testing.T, dir string, scale float32) string {
	t.Helper()
	os.MkdirAll(dir, 0o755)
	entries, err := os.ReadDir(exampleBase)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == "model.safetensors" {
			continue
		}
		data, _ := os.ReadFile(filepath.Join(exampleBase, e.Name()))
		os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644)
	}
	in, err := safetensors.Open(filepath.Join(exampleBase, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w, err := safetensors.NewWriter(out, in.Tensors(), in.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range in.Tensors() {
		raw, err := in.Raw(ti.Name)
		if err != nil {
			t.Fatal(err)
		}
		if ti.Name == "model.norm.weight" {
			v, _, _ := in.Float32(ti.Name)
			for i := range v {
				v[i] *= scale
			}
			safetensors.FromFloat32(raw, v, ti.Dtype)
		}
		if err := w.WriteTensor(ti.Name, bytes.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A batch: two fine-tunes share one solve, a split solve is merged, a job
// with a missing base fails alone, an evaluation is scored; a rerun skips
// everything done and redoes only what is missing.
func TestBatch(t *testing.T) {
	dir := t.TempDir()
	fineTune(t, filepath.Join(dir, "tuned-a"), 1.01)
	fineTune(t, filepath.Join(dir, "tuned-b"), 0.99)
	text, _ := os.ReadFile("../../testdata/example/heldout.txt")
	os.WriteFile(filepath.Join(dir, "text.txt"), text[:3000], 0o644)
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	jobs := `defaults:
  tokenizer: ` + abs(exampleTok) + `
  method: subword
  subword_combine: last
jobs:
  - base: ./tuned-*
    out: ./out/{base}
  - base: ./tuned-a
    out: ./out/mean-a
    method: mean
    eval: {text: ./text.txt, baseline: ` + abs(exampleBase) + `}
  - base: ` + abs(exampleBase) + `
    out: ./out/split
    method: randn
    seed: 3
    shards: 2
  - base: ./missing
    out: ./out/missing
`
	file := filepath.Join(dir, "jobs.yaml")
	os.WriteFile(file, []byte(jobs), 0o644)
	// A dry run says what would run, and that the job without a base
	// fails, and writes nothing.
	stdout, err := runCLI(t, "batch", file, "--dry-run")
	if err != nil || !strings.Contains(stdout, "would run") || !strings.Contains(stdout, "job missing") || strings.Contains(stdout, "done: skipped") {
		t.Errorf("dry run: %v\n%s", err, stdout)
	}
	for _, name := range []string{"jobs.batch", "out"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("a dry run wrote %s", name)
		}
	}
	stdout, err = runCLI(t, "batch", file, "--jobs", "2", "-q")
	if err == nil || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("a batch with a failed job succeeded: %v\n%s", err, stdout)
	}
	var sum struct {
		Totals map[string]int `json:"totals"`
		Jobs   []struct {
			Job    string             `json:"out"`
			Status string             `json:"status"`
			Eval   map[string]float64 `json:"eval"`
		} `json:"jobs"`
	}
	data, err := os.ReadFile(filepath.Join(dir, "jobs.batch", "batch.json"))
	if err != nil || json.Unmarshal(data, &sum) != nil {
		t.Fatalf("summary: %v\n%s", err, data)
	}
	status := map[string]string{}
	for _, j := range sum.Jobs {
		status[filepath.Base(j.Job)] = j.Status
		if strings.HasSuffix(j.Job, "mean-a") && (j.Eval["ratio"] < 1 || j.Eval["bits_per_byte"] <= 0 || j.Eval["base_shared_bpb"] <= 0) {
			t.Errorf("evaluation %v", j.Eval)
		}
	}
	for _, name := range []string{"tuned-a", "tuned-b", "mean-a", "split"} {
		if status[name] != "done" {
			t.Errorf("job %s: %s (summary %v)", name, status[name], status)
		}
		if _, err := os.Stat(filepath.Join(dir, "out", name, "model.safetensors")); err != nil {
			t.Error(err)
		}
	}
	if status["missing"] != "failed" {
		t.Errorf("missing base: %s", status["missing"])
	}
	recipes, _ := filepath.Glob(filepath.Join(dir, "jobs.batch", "recipes", "*", "recipe"))
	if len(recipes) != 2 {
		t.Errorf("%d recipes solved, want 2 (the fine-tunes' shared one and the merged split one)", len(recipes))
	}
	// A rerun redoes only what is missing, as its dry run says.
	os.RemoveAll(filepath.Join(dir, "out", "tuned-b"))
	os.Remove(file + ".unused")
	stdout, _ = runCLI(t, "batch", file, "--dry-run")
	var wouldRun []string
	for _, line := range strings.Split(stdout, "\n") {
		if strings.Contains(line, "would run") && !strings.Contains(line, "units:") {
			wouldRun = append(wouldRun, line)
		}
	}
	if len(wouldRun) != 1 || !strings.Contains(wouldRun[0], "tuned-b") || !strings.Contains(stdout, "done: skipped") {
		t.Errorf("dry run of the rerun: %q would run\n%s", wouldRun, stdout)
	}
	runCLI(t, "batch", file, "-q")
	data, _ = os.ReadFile(filepath.Join(dir, "jobs.batch", "batch.json"))
	json.Unmarshal(data, &sum)
	for _, j := range sum.Jobs {
		want := "skipped"
		switch filepath.Base(j.Job) {
		case "tuned-b":
			want = "done"
		case "missing":
			want = "failed"
		}
		if j.Status != want {
			t.Errorf("rerun: %s %s, want %s", j.Job, j.Status, want)
		}
	}
}

// A batch reserves for a job whose methods auto chooses on a calibration
// text at least what the run of auto's choice plans (here, without a
// donor, knn over auxiliary vectors of the text and a calibrated head),
// without scoring any candidate; a job that names its method reserves
// that method's plan.
func TestBatchMemoryOfAutoJobs(t *testing.T) {
	dir := t.TempDir()
	text, err := os.ReadFile("../../testdata/example/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	text = text[:6000]
	if err := os.WriteFile(filepath.Join(dir, "text.txt"), text, 0o644); err != nil {
		t.Fatal(err)
	}
	abs := func(p string) string { a, _ := filepath.Abs(p); return a }
	jobs := `defaults:
  base: ` + abs(exampleBase) + `
  tokenizer: ` + abs(exampleTok) + `
jobs:
  - out: ./auto
    calibration_text: ./text.txt
  - out: ./mean
    method: mean
`
	f, err := batch.Parse(filepath.Join(dir, "jobs.yaml"), []byte(jobs), jobSchema())
	if err != nil {
		t.Fatal(err)
	}
	w, ctx := newBatchWorker(), context.Background()
	memory := func(j *batch.Job) int64 {
		t.Helper()
		m, err := w.Memory(ctx, &batch.Unit{Kind: batch.RunUnit, Job: j})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	s, err := transplant.Open(ctx, transplant.Inputs{Base: exampleBase, Tokenizer: exampleTok})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mean, err := s.Plan(transplant.Choice{Input: heuristics.Mean{}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := memory(f.Jobs[1]); got != mean.MemoryBytes {
		t.Errorf("mean reserves %d bytes, its plan says %d", got, mean.MemoryBytes)
	}
	reserved := memory(f.Jobs[0])
	c, rep, err := s.Auto(ctx, transplant.AutoOptions{Text: text})
	if err != nil {
		t.Fatal(err)
	}
	if c.CalibrateHead {
		c.CalibrationBytes = len(text)
	}
	run, err := s.Plan(c, "")
	if err != nil {
		t.Fatal(err)
	}
	if reserved < run.MemoryBytes {
		t.Errorf("auto reserves %d bytes; its choice (%s / %s, calibrated %v) plans %d", reserved, rep.Input, rep.Head, c.CalibrateHead, run.MemoryBytes)
	}
}
