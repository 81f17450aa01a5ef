package transplant

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/safetensors"
)

// WriteOptions tune Write.
type WriteOptions struct {
	// Dtype of the new tables; empty keeps the base's.
	Dtype safetensors.Dtype
	// MaxShardSize splits the output weights; 0 is transformers' default.
	MaxShardSize int64
	// Explain lists new ids whose rows the report explains (see
	// ResolveTokens): copied from which old token, or built from which
	// rows with which weights.
	Explain []int
	// TokenRows asks for the same details for every row a method builds,
	// in Report.Tokens (not written to transplant.json: it can be large).
	TokenRows bool
	// ToolVersion is recorded in transplant.json.
	ToolVersion string
	// Auto is what --method auto chose and why, recorded in the report.
	Auto *AutoReport
	// MoreInputs are other files the output derives from, such as the
	// corpus new tokens were learned on: transplant.json records them with
	// their checksums, by role.
	MoreInputs []InputFile
	// Progress, when set, hears about writing: stage is "writing", done and
	// total count bytes.
	Progress func(stage string, done, total int64)
	// Checksums records every output file's SHA-256 in transplant.json,
	// at the cost of a pass of SHA-256 over the output (see
	// checkpoint.WriteOptions.Checksums); without it the outputs are
	// listed with their sizes. The inputs' checksums are always recorded.
	Checksums bool
}

// Write applies the row maps of b to the base tables and writes the model
// directory out: the new tables, every other tensor copied bit for bit,
// config.json and generation_config.json for the new vocabulary, the new
// tokenizer's files and transplant.json. out must not exist (or be empty)
// and must not lie inside an input; it appears only when everything is
// written, and never on an error or a cancellation.
func (s *Session) Write(ctx context.Context, out string, b *Built, opts WriteOptions) (*Report, error) {
	if b.Shard != nil {
		return nil, fmt.Errorf("transplant: %w: shard %d of %d builds only some rows; save it as a recipe and merge the shards", ErrShard, b.Shard.Index, b.Shard.Count)
	}
	rep := &Report{Tool: "transplant", Version: opts.ToolVersion, Seed: b.Seed, Alignment: s.alignment.Report, Auto: opts.Auto, Calibration: b.Calibration}
	var err error
	if rep.Inputs, err = s.inputFiles(opts.MoreInputs); err != nil {
		return nil, err
	}
	hashCtx, cancelHash := context.WithCancel(ctx)
	defer cancelHash()
	hashed := make(chan error, 1)
	go func() { hashed <- s.hashFiles(hashCtx, rep.Inputs) }()
	replace, err := s.newTables(ctx, b, rep, opts)
	if err != nil {
		cancelHash()
		<-hashed
		return nil, err
	}
	cfg, err := s.newConfig()
	if err != nil {
		return nil, err
	}
	files, err := s.outputFiles()
	if err != nil {
		return nil, err
	}
	err = checkpoint.WriteDir(ctx, out, s.base, checkpoint.WriteOptions{
		Config:       cfg,
		Replace:      replace,
		Dtype:        opts.Dtype,
		Files:        files,
		MaxShardSize: opts.MaxShardSize,
		Checksums:    opts.Checksums,
		// The inputs are hashed while the tables are built and the
		// checkpoint copied; only the report waits for their checksums.
		Manifest: func(written []checkpoint.WrittenFile) (string, []byte, error) {
			if err := <-hashed; err != nil {
				return "", nil, fmt.Errorf("checksums: %w", err)
			}
			rep.Outputs = written
			data, err := json.MarshalIndent(rep, "", "  ")
			return reportName, data, err
		},
		Progress: func(done, total int64) {
			if opts.Progress != nil {
				opts.Progress("writing", done, total)
			}
		},
	})
	if err != nil {
		return nil, fmt.Errorf("transplant: %w", err)
	}
	return rep, nil
}

// reportName is the file in the output directory that says how it was made.
const reportName = "transplant.json"

// newTables assembles every built table and records it in the report.
func (s *Session) newTables(ctx context.Context, b *Built, rep *Report, opts WriteOptions) (map[string]checkpoint.Replacement, error) {
	replace := map[string]checkpoint.Replacement{}
	explain := map[int]bool{}
	for _, id := range opts.Explain {
		explain[id] = true
	}
	for _, bt := range b.Tables {
		t := bt.Table
		if t.Bias == "" && !hasNoise(bt.Map) {
			// Streamed tables read the base rows they need while the
			// writer runs, so no base table is held widened.
			var err error
			if replace[t.Tensor], err = s.stream(t, bt.Map); err != nil {
				return nil, err
			}
		} else {
			base, err := s.readBase(t, &scratch{})
			if err != nil {
				return nil, err
			}
			fresh, err := s.assemble(ctx, t, bt.Map, base)
			if err != nil {
				return nil, err
			}
			if t.Bias != "" {
				w, bias := splitBias(fresh)
				replace[t.Tensor] = checkpoint.Replacement{Rows: w.Rows, Cols: w.Cols, Table: &w}
				replace[t.Bias] = checkpoint.Replacement{Rows: bias.Rows, Cols: 1, Table: &bias, Vector: true}
			} else {
				replace[t.Tensor] = checkpoint.Replacement{Rows: fresh.Rows, Cols: fresh.Cols, Table: &fresh}
			}
		}
		rep.Tables = append(rep.Tables, s.tableReport(bt, opts.Dtype))
		rep.Explanations = append(rep.Explanations, s.tokenRows(bt, func(id int) bool { return explain[id] })...)
		if opts.TokenRows {
			built := func(id int) bool { k := s.alignment.Kind[id]; return k == align.New || k == align.NewSpecial }
			rep.Tokens = append(rep.Tokens, s.tokenRows(bt, built)...)
		}
	}
	return replace, nil
}

func (s *Session) tableReport(bt BuiltTable, dtype safetensors.Dtype) TableReport {
	counts := bt.Map.Counts()
	counts["copied"] = s.alignment.Report.Shared - len(bt.Map.Corrections)
	if n := len(bt.Map.Corrections); n > 0 {
		counts[HowCopiedCalibrated] = n
	}
	if n := s.alignment.Report.Kinds[align.Padding.String()]; n > 0 {
		counts["padding"] = n
	}
	t := bt.Table
	return TableReport{
		Tensor: t.Tensor, Role: t.Role, Method: bt.Method, Params: bt.Params,
		Rows: s.alignment.Rows, Cols: t.Cols, Dtype: s.dtype(t.Tensor, dtype), Counts: counts,
		Measures: summarizeMeasures(bt.Map),
	}
}

// Run is the whole pipeline for one output: open the inputs, plan, build
// with c and write out.
func Run(ctx context.Context, in Inputs, c Choice, out string, bo BuildOptions, wo WriteOptions) (*Report, error) {
	s, err := Open(ctx, in)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	b, err := s.Build(ctx, c, bo)
	if err != nil {
		return nil, err
	}
	return s.Write(ctx, out, b, wo)
}

func hasNoise(m *heuristics.Map) bool {
	return slices.ContainsFunc(m.Rows, func(r heuristics.Row) bool { return r.Noise })
}
