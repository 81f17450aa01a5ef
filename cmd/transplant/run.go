package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/transplant-dev/transplant"
	"github.com/transplant-dev/transplant/safetensors"
)

func newRunCmd() *cobra.Command {
	var (
		in        transplant.Inputs
		mf        methodFlags
		out       string
		maps      []string
		mapFile   string
		dtype     string
		shardSize string
		seed      uint64
		dryRun    bool
		explain   []string
		tokenFile string
		asJSON    bool
		quiet     bool
	)
	cmd := &cobra.Command{
		Use:   "run --base DIR --tokenizer TOKENIZER --out DIR",
		Short: "Transplant a model onto a new tokenizer",
		Long: `Run gives the base model a new tokenizer. Tokens both vocabularies share (by
the bytes they stand for) keep their rows; special tokens move by role
(bos, eos, pad, unk) or by --map; every other new token gets rows built by
--method, separately for the input embedding and the output head:

` + methodList() + `
A donor (--donor) is a model that already uses the new tokenizer; hybrid
uses one when given. The output directory holds the new tables in the base's
dtype, every other tensor copied bit for bit, config.json and
generation_config.json with the new vocabulary size and special-token ids,
the new tokenizer's files and transplant.json, a report of the run with
checksums of every input and output file. It appears only when complete,
and not at all when the run fails or is interrupted; the inputs are only
read.`,
		Example: `  transplant run --base ./Mistral-7B --tokenizer ./gpt2/tokenizer.json --method subword --out ./mistral-gpt2
  transplant run --base ./A --donor ./B --method knn --out ./A-on-B
  transplant run --base ./llama --tokenizer ./qwen --map '<|eot_id|>=<|im_end|>' --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := mf.choice()
			if err != nil {
				return err
			}
			if in.Tokenizer == "" && in.Donor == "" {
				return fmt.Errorf("no new tokenizer: give --tokenizer, or a --donor whose tokenizer to use")
			}
			if in.Map, err = readMap(maps, mapFile); err != nil {
				return err
			}
			wo := transplant.WriteOptions{ToolVersion: version, TokenRows: tokenFile != ""}
			if dtype != "" {
				wo.Dtype = safetensors.Dtype(strings.ToUpper(dtype))
				if !wo.Dtype.IsFloat() {
					return fmt.Errorf("--dtype %q: want f32, f16 or bf16", dtype)
				}
			}
			if wo.MaxShardSize, err = parseSize(shardSize); err != nil {
				return fmt.Errorf("--max-shard-size: %w", err)
			}
			if out == "" && !dryRun {
				return fmt.Errorf("--out is required (or --dry-run)")
			}
			ctx := cmd.Context()
			s, err := transplant.Open(ctx, in)
			if err != nil {
				return err
			}
			defer s.Close()
			if wo.Explain, err = s.ResolveTokens(explain); err != nil {
				return fmt.Errorf("--explain: %w", err)
			}
			plan, err := s.Plan(c, wo.Dtype)
			if err != nil {
				return err
			}
			if dryRun {
				if asJSON {
					return writeJSON(cmd.OutOrStdout(), plan)
				}
				printPlan(cmd.OutOrStdout(), plan)
				return nil
			}
			if !asJSON && !quiet {
				printPlan(cmd.ErrOrStderr(), plan)
			}
			limitMemory(plan.MemoryBytes)
			p := newProgress(cmd.ErrOrStderr(), quiet)
			defer p.done()
			wo.Progress = p.update
			b, err := s.Build(ctx, c, transplant.BuildOptions{Seed: seed, Progress: p.update})
			if err != nil {
				return err
			}
			rep, err := s.Write(ctx, out, b, wo)
			p.done()
			if err != nil {
				return err
			}
			if tokenFile != "" {
				if err := writeTokenRows(tokenFile, rep.Tokens); err != nil {
					return fmt.Errorf("--token-report: %w", err)
				}
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), rep)
			}
			printRunReport(cmd.OutOrStdout(), out, rep)
			printExplanations(cmd.OutOrStdout(), rep.Explanations)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Base, "base", "", "base model directory (required)")
	f.StringVar(&in.Tokenizer, "tokenizer", "", "new tokenizer: tokenizer.json[.gz] or a directory (default: the donor's)")
	f.StringVar(&in.Donor, "donor", "", "donor model directory that uses the new tokenizer")
	f.StringVar(&out, "out", "", "output model directory (must not exist)")
	mf.register(cmd)
	f.StringArrayVar(&maps, "map", nil, "pair an old special token with a new one, OLD=NEW (repeatable)")
	f.StringVar(&mapFile, "map-file", "", "file of OLD=NEW lines, or a JSON object {\"OLD\": \"NEW\"}")
	f.IntVar(&in.PadToMultipleOf, "pad-to-multiple-of", 0, "round the new row count up to a multiple (default: as the base was padded)")
	f.Uint64Var(&seed, "seed", 0, "seed for random methods")
	f.StringVar(&dtype, "dtype", "", "dtype of the new tables: f32, f16, bf16 (default: the base's)")
	f.StringVar(&shardSize, "max-shard-size", "5GB", "largest weights file, as transformers' max_shard_size")
	f.BoolVar(&dryRun, "dry-run", false, "print the plan and the memory it needs, write nothing")
	f.StringArrayVar(&explain, "explain", nil, "show how a new token's rows were made (its spelling, its text, or #ID; repeatable)")
	f.StringVar(&tokenFile, "token-report", "", "write how every built row was made to this JSON-lines file (.gz to compress)")
	f.BoolVar(&asJSON, "json", false, "print the plan or report as JSON")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress or plan on stderr")
	cmd.MarkFlagRequired("base")
	return cmd
}

// limitMemory tells the garbage collector how much the run should need, so
// that a table let go of is collected before the next one is allocated
// rather than when the heap has doubled. GOMEMLIMIT, when set, wins.
func limitMemory(planned int64) {
	if os.Getenv("GOMEMLIMIT") != "" || planned <= 0 {
		return
	}
	debug.SetMemoryLimit(planned + planned/8 + 256<<20)
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// readMap collects --map pairs and the pairs of a map file.
func readMap(pairs []string, file string) (map[string]string, error) {
	m := map[string]string{}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		if strings.HasPrefix(strings.TrimSpace(string(data)), "{") {
			if err := json.Unmarshal(data, &m); err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
		} else {
			for i, line := range strings.Split(string(data), "\n") {
				line = strings.TrimSpace(line)
				if line == "" || strings.HasPrefix(line, "#") {
					continue
				}
				if err := addPair(m, line); err != nil {
					return nil, fmt.Errorf("%s:%d: %w", file, i+1, err)
				}
			}
		}
	}
	for _, p := range pairs {
		if err := addPair(m, p); err != nil {
			return nil, fmt.Errorf("--map: %w", err)
		}
	}
	return m, nil
}

func addPair(m map[string]string, pair string) error {
	old, new, ok := strings.Cut(pair, "=")
	if !ok || old == "" || new == "" {
		return fmt.Errorf("%q: want OLD=NEW", pair)
	}
	m[old] = new
	return nil
}

// parseSize reads sizes as transformers writes them: "5GB", "500MB",
// "2GiB", or a plain number of bytes.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(strings.ToUpper(s))
	units := []struct {
		suffix string
		mult   int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	var n float64
	if _, err := fmt.Sscanf(s, "%g", &n); err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return int64(n * float64(mult)), nil
}
