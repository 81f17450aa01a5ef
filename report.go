package transplant

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"sort"

	"golang.org/x/sync/errgroup"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/safetensors"
)

// A Report is what transplant.json records: what went in, with checksums,
// how each table was built, and what came out. It has no timestamp, so that
// a run repeated with the same inputs and seed gives identical files.
type Report struct {
	Tool      string        `json:"tool"`
	Version   string        `json:"version"`
	Inputs    []InputFile   `json:"inputs"`
	Seed      uint64        `json:"seed"`
	Alignment align.Report  `json:"alignment"`
	Tables    []TableReport `json:"tables"`
	// Explanations details the rows of the tokens Options.Explain named.
	Explanations []TokenRow `json:"explanations,omitempty"`
	// Tokens details every built row when Options.TokenRows is set.
	Tokens []TokenRow `json:"-"`
}

// InputFile identifies one file the run read.
type InputFile struct {
	Role   string `json:"role"` // base, new tokenizer, donor
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// TableReport says how one new tensor was built.
type TableReport struct {
	Tensor string            `json:"tensor"`
	Role   string            `json:"role"`
	Method string            `json:"method"`
	Params heuristics.Method `json:"params"`
	Rows   int               `json:"rows"`
	Cols   int               `json:"cols"`
	Dtype  safetensors.Dtype `json:"dtype"`
	// Counts says how many rows each way of building produced, copies and
	// padding included.
	Counts heuristics.Counts `json:"counts"`
	// Residual summarizes OMP's relative residuals, for an OMP table.
	Residual *ResidualSummary `json:"omp_residual,omitempty"`
}

// inputFiles lists what the run reads: the base's weights, config and
// tokenizer, the new tokenizer, the donor's weights and config.
func (j *Job) inputFiles() []InputFile {
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
	add("base", j.base.Files()...)
	add("base", dirFiles(j.base.Dir(), "config.json", "tokenizer.json", "tokenizer.json.gz", "tokenizer_config.json", "special_tokens_map.json")...)
	if st, err := os.Stat(j.newTokDir); err == nil && !st.IsDir() {
		add("new tokenizer", j.newTokDir)
	} else {
		add("new tokenizer", dirFiles(j.newTokDir, "tokenizer.json", "tokenizer.json.gz", "tokenizer_config.json", "special_tokens_map.json")...)
	}
	if j.donor != nil {
		add("donor", j.donor.Files()...)
		add("donor", dirFiles(j.donor.Dir(), "config.json")...)
	}
	return dedupe(in)
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
// overlaps with building tables without starving it of disk.
func hashFiles(ctx context.Context, files []InputFile) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(2)
	for i := range files {
		f := &files[i]
		g.Go(func() error {
			sum, err := sha256File(ctx, f.Path)
			f.SHA256 = sum
			return err
		})
	}
	return g.Wait()
}

func sha256File(ctx context.Context, path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		n, err := fh.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			return hex.EncodeToString(h.Sum(nil)), nil
		}
		if err != nil {
			return "", err
		}
	}
}
