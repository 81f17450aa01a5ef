package transplant

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/sync/errgroup"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/internal/safefile"
	"github.com/transplant-dev/transplant/safetensors"
)

// A Report is what transplant.json records: what went in, with checksums,
// how each table was built, and what came out, with checksums of every
// other file of the output. It has no timestamp, so that a run repeated
// with the same inputs and seed gives identical files.
type Report struct {
	Tool      string       `json:"tool"`
	Version   string       `json:"version"`
	Inputs    []InputFile  `json:"inputs"`
	Seed      uint64       `json:"seed"`
	Alignment align.Report `json:"alignment"`
	// Auto says what --method auto chose for each table and why.
	Auto *AutoReport `json:"auto,omitempty"`
	// Calibration reports the head rows fitted to the base model.
	Calibration *CalibrationReport `json:"calibration,omitempty"`
	Tables      []TableReport      `json:"tables"`
	// Outputs lists every file of the output directory but transplant.json,
	// with its checksum when WriteOptions.Checksums asked for them.
	Outputs []checkpoint.WrittenFile `json:"outputs"`
	// Explanations details the rows of the tokens Options.Explain named.
	Explanations []TokenRow `json:"explanations,omitempty"`
	// Tokens details every built row when Options.TokenRows is set.
	Tokens []TokenRow `json:"-"`
}

// InputFile identifies one file the run read.
type InputFile struct {
	Role   string `json:"role"` // base, new tokenizer, donor, recipe
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// TableReport says how one new tensor was built.
type TableReport struct {
	Tensor string            `json:"tensor"`
	Role   heuristics.Role   `json:"role"`
	Method string            `json:"method"`
	Params json.RawMessage   `json:"params"`
	Rows   int               `json:"rows"`
	Cols   int               `json:"cols"`
	Dtype  safetensors.Dtype `json:"dtype"`
	// Counts says how many rows each way of building produced, copies and
	// padding included.
	Counts heuristics.Counts `json:"counts"`
	// Measures summarizes the method's per-row measures by name, such as
	// OMP's relative residuals.
	Measures map[string]Summary `json:"measures,omitempty"`
}

// InputChecksums lists the files the session reads, with their sizes and
// checksums, as transplant.json records them: a directory whose report
// lists the same was made from these inputs.
func (s *Session) InputChecksums(ctx context.Context, more ...InputFile) ([]InputFile, error) {
	in, err := s.inputFiles(more)
	if err != nil {
		return nil, err
	}
	if err := s.hashFiles(ctx, in); err != nil {
		return nil, fmt.Errorf("transplant: checksums: %w", err)
	}
	return in, nil
}

// inputFiles lists what the run reads: the base's weights, config and
// tokenizer, the new tokenizer, the donor's weights and config, and more
// (files the caller's output derives from, such as a corpus).
func (s *Session) inputFiles(more []InputFile) ([]InputFile, error) {
	var in []InputFile
	add := func(role string, paths ...string) {
		for _, p := range paths {
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				in = append(in, InputFile{Role: role, Path: p, Bytes: st.Size()})
			}
		}
	}
	dirFiles := func(dir string, names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, filepath.Join(dir, n))
		}
		return out
	}
	add("base", s.base.Files()...)
	add("base", dirFiles(s.base.Dir(), "config.json", "tokenizer.json", "tokenizer.json.gz", "tokenizer_config.json", "special_tokens_map.json")...)
	switch st, err := os.Stat(s.newTokDir); {
	case s.recipe != nil:
		add("recipe", s.in.Recipe)
	case s.in.TokenizerFiles != nil: // not on disk: made from the inputs below
	case err == nil && !st.IsDir():
		add("new tokenizer", s.newTokDir)
	default:
		add("new tokenizer", dirFiles(s.newTokDir, "tokenizer.json", "tokenizer.json.gz", "tokenizer_config.json", "special_tokens_map.json")...)
	}
	if s.in.AuxText != "" {
		add("aux text", s.in.AuxText)
	}
	if s.donor != nil {
		add("donor", s.donor.Files()...)
		add("donor", dirFiles(s.donor.Dir(), "config.json")...)
	}
	for _, f := range more {
		st, err := os.Stat(f.Path)
		if err != nil {
			return nil, fmt.Errorf("transplant: %s: %w", f.Role, err)
		}
		in = append(in, InputFile{Role: f.Role, Path: f.Path, Bytes: st.Size()})
	}
	return dedupe(in), nil
}

func dedupe(in []InputFile) []InputFile {
	seen := map[string]bool{}
	out := in[:0]
	for _, f := range in {
		if !seen[f.Path] {
			seen[f.Path] = true
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Role < out[b].Role })
	return out
}

// hashFiles fills in the checksums, two files at a time so that hashing
// overlaps with building tables without starving it of disk, from the
// session's checksum cache where it has them.
func (s *Session) hashFiles(ctx context.Context, files []InputFile) error {
	cache := &safefile.SumCache{Dir: s.in.ChecksumCache}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for i := range files {
		f := &files[i]
		g.Go(func() error {
			sum, err := cache.SHA256(ctx, f.Path)
			f.SHA256 = sum
			return err
		})
	}
	return g.Wait()
}
