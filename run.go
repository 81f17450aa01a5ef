package transplant

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/checkpoint"
)

// Run builds the new tables and writes the model directory out. out must
// not exist (or be empty) and must not lie inside an input; it appears only
// when everything is written.
func (j *Job) Run(ctx context.Context, out string) (*Report, error) {
	rep := &Report{Tool: "transplant", Version: j.opts.ToolVersion, Seed: j.opts.Seed, Alignment: j.alignment.Report}
	rep.Inputs = j.inputFiles()
	hashCtx, cancelHash := context.WithCancel(ctx)
	defer cancelHash()
	hashed := make(chan error, 1)
	go func() { hashed <- hashFiles(hashCtx, rep.Inputs) }()

	replace := map[string]checkpoint.Replacement{}
	var s scratch
	for _, t := range j.tables {
		fresh, counts, sol, err := j.build(ctx, t, &s)
		if err != nil {
			cancelHash()
			<-hashed
			return nil, err
		}
		if t.biasName != "" {
			w, bias := splitBias(fresh)
			replace[t.name] = checkpoint.Replacement{Rows: w.Rows, Cols: w.Cols, Table: &w}
			replace[t.biasName] = checkpoint.Replacement{Rows: bias.Rows, Cols: 1, Table: &bias, Vector: true}
		} else {
			replace[t.name] = checkpoint.Replacement{Rows: fresh.Rows, Cols: fresh.Cols, Table: &fresh}
		}
		rep.Tables = append(rep.Tables, TableReport{
			Tensor: t.name, Role: t.stageLabel, Method: t.method.Name(), Params: t.method,
			Rows: j.alignment.Rows, Cols: t.cols, Dtype: j.dtype(t.name), Counts: counts,
			Residual: summarizeResiduals(sol),
		})
		rep.Explanations = append(rep.Explanations, j.tableDetails(t, func(id int) bool { return j.explain[id] }, sol)...)
		if j.opts.TokenRows {
			built := func(id int) bool { k := j.alignment.Kind[id]; return k == align.New || k == align.NewSpecial }
			rep.Tokens = append(rep.Tokens, j.tableDetails(t, built, sol)...)
		}
	}
	s = scratch{} // the widened inputs are not needed for writing
	if err := <-hashed; err != nil {
		return nil, fmt.Errorf("transplant: checksums: %w", err)
	}
	cfg, err := j.newConfig()
	if err != nil {
		return nil, err
	}
	files, err := j.outputFiles()
	if err != nil {
		return nil, err
	}
	if files["transplant.json"], err = json.MarshalIndent(rep, "", "  "); err != nil {
		return nil, err
	}
	err = checkpoint.WriteDir(ctx, out, j.base, checkpoint.WriteOptions{
		Config:       cfg,
		Replace:      replace,
		Dtype:        j.opts.Dtype,
		Files:        files,
		MaxShardSize: j.opts.MaxShardSize,
		Progress: func(done, total int64) {
			if j.opts.Progress != nil {
				j.opts.Progress("writing", done, total)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("transplant: %w", err)
	}
	return rep, nil
}
