package batch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/transplant-dev/transplant/batch"
)

// copyWorker stands for the core: it "transplants" by writing a file.
type copyWorker struct{}

func (copyWorker) Done(_ context.Context, u *batch.Unit) (batch.Result, bool, error) {
	_, err := os.Stat(u.Out)
	return batch.Result{}, err == nil, nil
}

func (copyWorker) Memory(context.Context, *batch.Unit) (int64, error) { return 1 << 30, nil }

func (copyWorker) Do(_ context.Context, u *batch.Unit) (batch.Result, error) {
	if err := os.MkdirAll(filepath.Dir(u.Out), 0o755); err != nil {
		return batch.Result{}, err
	}
	return batch.Result{Counts: map[string]int64{"built": 7}}, os.WriteFile(u.Out, []byte(u.Kind.String()), 0o644)
}

// The whole batch on one machine: parse, group into shared solves, run
// two units at a time within 4 GiB, and read the summary.
func ExamplePlan_RunAll() {
	dir, _ := os.MkdirTemp("", "batch-example")
	defer os.RemoveAll(dir)
	for _, d := range []string{"base", "base-instruct", "tok"} {
		os.MkdirAll(filepath.Join(dir, d), 0o755)
	}
	jobs := filepath.Join(dir, "jobs.yaml")
	os.WriteFile(jobs, []byte(`
defaults: {tokenizer: tok, method: subword}
jobs:
  - {base: base, out: out/base}
  - {base: base-instruct, out: out/base-instruct}
  - {base: base, out: out/base-mean, method: mean}
`), 0o644)

	schema := batch.Schema{"method": {Kind: batch.Value}}
	f, err := batch.ParseFile(jobs, schema)
	if err != nil {
		fmt.Println(err)
		return
	}
	// The core would fingerprint the tokenizers and the method options.
	key := func(j *batch.Job) (string, error) {
		return filepath.Base(j.Tokenizer) + "/" + strings.Join(j.Options["method"], ","), nil
	}
	p := batch.NewPlan(f, key)
	for _, u := range p.Units {
		fmt.Println(u.Kind, filepath.Base(u.Job.Out))
	}
	s, err := p.RunAll(context.Background(), copyWorker{}, batch.Options{Jobs: 2, Memory: 4 << 30})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, j := range s.Jobs {
		fmt.Println(j.Out, j.Status, j.Counts["built"])
	}
	// Output:
	// solve base
	// apply base
	// apply base-instruct
	// run base-mean
	// out/base done 7
	// out/base-instruct done 7
	// out/base-mean done 7
}
