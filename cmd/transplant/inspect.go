package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/tokenizer"
)

func newInspectCmd() *cobra.Command {
	var showTensors, asJSON bool
	cmd := &cobra.Command{
		Use:   "inspect PATH",
		Short: "Describe a model directory or weights file",
		Long: `Inspect opens a Hugging Face model directory (config.json with safetensors or
pytorch_model.bin weights, single or sharded) or a single weights file, and
prints its architecture, dtype, parameter count, the input embedding and output
head with their shapes, whether they are tied, and a summary of tokenizer.json
when there is one. Nothing is loaded beyond the file headers.`,
		Example: `  transplant inspect ./Mistral-7B-v0.1
  transplant inspect --tensors model.safetensors
  transplant inspect --json ./gpt2 | jq .embedding`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, err := checkpoint.Open(args[0])
			if err != nil {
				return err
			}
			defer m.Close()
			r := newInspectReport(m, showTensors)
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			return r.print(cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&showTensors, "tensors", false, "list every tensor with its dtype, shape and file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}

type tensorReport struct {
	Name  string `json:"name"`
	Dtype string `json:"dtype"`
	Shape []int  `json:"shape"`
	File  string `json:"file"`
}

type tokenizerReport struct {
	File        string `json:"file"`
	Model       string `json:"model"`
	VocabSize   int    `json:"vocab_size"`
	AddedTokens int    `json:"added_tokens"`
	// Roles maps bos, eos, pad and unk to their tokens, where the
	// tokenizer has them.
	Roles map[string]string `json:"roles,omitempty"`
}

type inspectReport struct {
	Path         string           `json:"path"`
	Format       string           `json:"format"`
	Files        []string         `json:"files"`
	Architecture string           `json:"architecture,omitempty"`
	ModelType    string           `json:"model_type,omitempty"`
	Dtype        string           `json:"dtype"`
	Dtypes       map[string]int64 `json:"parameters_by_dtype"`
	Parameters   int64            `json:"parameters"`
	VocabSize    int              `json:"vocab_size,omitempty"`
	Embedding    *tensorReport    `json:"embedding,omitempty"`
	Head         *tensorReport    `json:"head,omitempty"`
	Tied         bool             `json:"tied"`
	Tokenizer    *tokenizerReport `json:"tokenizer,omitempty"`
	TokenizerErr string           `json:"tokenizer_error,omitempty"`
	Tensors      []tensorReport   `json:"tensors,omitempty"`
}

func newInspectReport(m *checkpoint.Model, withTensors bool) *inspectReport {
	r := &inspectReport{Path: m.Path(), Format: string(m.Format()), Dtypes: map[string]int64{},
		Parameters: m.NumParameters(), Tied: m.Tied()}
	for _, f := range m.Files() {
		r.Files = append(r.Files, filepath.Base(f))
	}
	if a, ok := m.Architecture(); ok {
		r.Architecture, r.ModelType = a.Class, a.ModelType
	}
	if c := m.Config(); c != nil {
		r.VocabSize = c.VocabSize()
		if archs := c.Architectures(); len(archs) > 0 {
			r.Architecture = archs[0]
		}
		if mt := c.ModelType(); mt != "" {
			r.ModelType = mt
		}
	}
	for _, t := range m.Tensors() {
		r.Dtypes[string(t.Dtype)] += t.NumElements()
		if withTensors {
			r.Tensors = append(r.Tensors, toTensorReport(t))
		}
	}
	r.Dtype = mainDtype(r.Dtypes)
	if e, ok := m.Embedding(); ok {
		r.Embedding = ptr(toTensorReport(e))
	}
	if h, ok := m.Head(); ok {
		r.Head = ptr(toTensorReport(h))
	}
	r.Tokenizer, r.TokenizerErr = summarizeTokenizer(m.Dir())
	return r
}

func toTensorReport(t checkpoint.Tensor) tensorReport {
	return tensorReport{Name: t.Name, Dtype: string(t.Dtype), Shape: t.Shape, File: t.File}
}

func ptr[T any](v T) *T { return &v }

// mainDtype names the dtype that holds most parameters.
func mainDtype(counts map[string]int64) string {
	best, n := "", int64(-1)
	for dt, c := range counts {
		if c > n || (c == n && dt < best) {
			best, n = dt, c
		}
	}
	return best
}

// summarizeTokenizer loads the tokenizer beside the weights, if there is
// one: model type, id space, added tokens and special-token roles.
func summarizeTokenizer(dir string) (*tokenizerReport, string) {
	path, err := tokenizer.FindFile(dir)
	if errors.Is(err, tokenizer.ErrNoTokenizer) {
		return nil, ""
	}
	if err != nil {
		return nil, err.Error()
	}
	tok, err := tokenizer.Load(path)
	if err != nil {
		return nil, err.Error()
	}
	r := &tokenizerReport{File: filepath.Base(path), Model: tok.ModelType(), VocabSize: tok.VocabSize(), AddedTokens: len(tok.AddedTokens())}
	sp := tok.Specials()
	for _, role := range []struct {
		name string
		id   int
	}{{"bos", sp.BOS}, {"eos", sp.EOS}, {"pad", sp.PAD}, {"unk", sp.UNK}} {
		if s, ok := tok.TokenString(role.id); ok && role.id >= 0 {
			if r.Roles == nil {
				r.Roles = map[string]string{}
			}
			r.Roles[role.name] = s
		}
	}
	return r, ""
}

// roleList lists the roles in a fixed order, "bos <s>, eos </s>".
func (t *tokenizerReport) roleList() string {
	var parts []string
	for _, role := range []string{"bos", "eos", "pad", "unk"} {
		if s, ok := t.Roles[role]; ok {
			parts = append(parts, fmt.Sprintf("%s %q", role, s))
		}
	}
	return strings.Join(parts, ", ")
}

func (r *inspectReport) print(out io.Writer) error {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	line := func(k, format string, args ...any) { fmt.Fprintf(w, "%s:\t"+format+"\n", append([]any{k}, args...)...) }
	line("path", "%s", r.Path)
	line("format", "%s (%s)", r.Format, strings.Join(r.Files, ", "))
	arch := r.Architecture
	if arch == "" {
		arch = "unknown"
	}
	if r.ModelType != "" {
		arch += " (" + r.ModelType + ")"
	}
	line("architecture", "%s", arch)
	line("dtype", "%s", dtypeSummary(r.Dtypes, r.Parameters))
	line("parameters", "%s (%d)", humanCount(r.Parameters), r.Parameters)
	if r.VocabSize > 0 {
		line("vocab_size", "%d", r.VocabSize)
	}
	line("embedding", "%s", describeTensor(r.Embedding))
	head := describeTensor(r.Head)
	if r.Tied {
		head = "tied to the embedding"
	}
	line("head", "%s", head)
	line("tied", "%s", map[bool]string{true: "yes", false: "no"}[r.Tied])
	if r.Embedding != nil && r.VocabSize > 0 && len(r.Embedding.Shape) > 0 && r.Embedding.Shape[0] != r.VocabSize {
		line("note", "embedding has %d rows, vocab_size is %d", r.Embedding.Shape[0], r.VocabSize)
	}
	switch {
	case r.Tokenizer != nil:
		line("tokenizer", "%s, %d ids, %d added tokens (%s)",
			r.Tokenizer.Model, r.Tokenizer.VocabSize, r.Tokenizer.AddedTokens, r.Tokenizer.File)
		if roles := r.Tokenizer.roleList(); roles != "" {
			line("specials", "%s", roles)
		}
	case r.TokenizerErr != "":
		line("tokenizer", "unreadable: %s", r.TokenizerErr)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(r.Tensors) == 0 {
		return nil
	}
	fmt.Fprintf(out, "\ntensors (%d):\n", len(r.Tensors))
	w = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, t := range r.Tensors {
		fmt.Fprintf(w, "  %s\t%s\t%v\t%s\n", t.Name, t.Dtype, t.Shape, t.File)
	}
	return w.Flush()
}

func describeTensor(t *tensorReport) string {
	if t == nil {
		return "none found"
	}
	return fmt.Sprintf("%s %s %v", t.Name, t.Dtype, t.Shape)
}

// dtypeSummary says "BF16", or "F16 (97.1%), F32 (2.9%)" for mixed models.
func dtypeSummary(counts map[string]int64, total int64) string {
	if len(counts) <= 1 || total == 0 {
		return mainDtype(counts)
	}
	dts := make([]string, 0, len(counts))
	for dt := range counts {
		dts = append(dts, dt)
	}
	sort.Slice(dts, func(i, j int) bool { return counts[dts[i]] > counts[dts[j]] })
	parts := make([]string, len(dts))
	for i, dt := range dts {
		parts[i] = fmt.Sprintf("%s (%.1f%%)", dt, 100*float64(counts[dt])/float64(total))
	}
	return strings.Join(parts, ", ")
}

// humanCount writes a parameter count the way model cards do: 7.24B, 125M.
func humanCount(n int64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.2fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e3:
		return fmt.Sprintf("%.1fK", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
