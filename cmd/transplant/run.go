package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/transplant-dev/transplant"
	"github.com/transplant-dev/transplant/recipe"
)

// runFlags are the flags of transplant run, which batch jobs set by name
// too: one parser for both.
type runFlags struct {
	in        transplant.Inputs
	mf        methodFlags
	out       string
	maps      []string
	mapFile   string
	output    outputFlags
	seed      uint64
	dryRun    bool
	explain   []string
	tokenFile string
	saveTo    string
	shard     string
	asJSON    bool
	quiet     bool
}

// perInvocation are run's flags that say how to print or what else to
// write, not what to build: a batch job may not set them.
var perInvocation = []string{"dry-run", "explain", "token-report", "save-recipe", "shard", "json", "quiet"}

func (r *runFlags) register(f *pflag.FlagSet) {
	f.StringVar(&r.in.Base, "base", "", "base model directory (required)")
	f.StringVar(&r.in.Tokenizer, "tokenizer", "", "new tokenizer: tokenizer.json[.gz] or a directory (default: the donor's)")
	f.StringVar(&r.in.Donor, "donor", "", "donor model directory that uses the new tokenizer")
	f.StringVar(&r.in.AuxText, "aux-text", "", "without a donor: a text whose co-occurrence statistics give the new tokens vectors to search (knn, hybrid, omp)")
	f.StringVar(&r.out, "out", "", "output model directory (must not exist)")
	r.mf.register(f)
	f.StringArrayVar(&r.maps, "map", nil, "pair an old special token with a new one, OLD=NEW (repeatable)")
	f.StringVar(&r.mapFile, "map-file", "", "file of OLD=NEW lines, or a JSON object {\"OLD\": \"NEW\"}")
	f.IntVar(&r.in.PadToMultipleOf, "pad-to-multiple-of", 0, "round the new row count up to a multiple (default: as the base was padded)")
	f.Uint64Var(&r.seed, "seed", 0, "seed for random methods")
	r.output.register(f)
	f.BoolVar(&r.dryRun, "dry-run", false, "print the plan and the memory it needs, write nothing (with auto, its costliest choice's: no candidate is scored)")
	f.StringArrayVar(&r.explain, "explain", nil, "show how a new token's rows were made (its spelling, its text, or #ID; repeatable)")
	f.StringVar(&r.tokenFile, "token-report", "", "write how every built row was made to this JSON-lines file (.gz to compress)")
	f.StringVar(&r.saveTo, "save-recipe", "", "also write the recipe (alignment, row maps, tokenizer, provenance) to this file, for transplant apply")
	f.StringVar(&r.shard, "shard", "", "solve only part I/N of the new tokens (I from 0) into --save-recipe; join the parts with transplant recipe merge")
	f.BoolVar(&r.asJSON, "json", false, "print the plan or report as JSON")
	f.BoolVarP(&r.quiet, "quiet", "q", false, "no progress or plan on stderr")
}

// A runSpec is what run's flags ask for, checked. With --method auto, c
// is empty until choose.
type runSpec struct {
	in transplant.Inputs
	c  transplant.Choice
	bo transplant.BuildOptions
	wo transplant.WriteOptions
	mf *methodFlags
}

// choose settles the methods: those named, or auto's choice, recorded in
// the report.
func (sp *runSpec) choose(ctx context.Context, s *transplant.Session) error {
	if sp.mf.auto() {
		var err error
		if sp.c, sp.wo.Auto, err = sp.mf.resolveChoice(ctx, s, sp.bo.Seed); err != nil {
			return err
		}
	}
	return sp.mf.buildOptions(&sp.bo, &sp.c)
}

// spec checks the flags and turns them into what the core takes.
func (r *runFlags) spec() (runSpec, error) {
	sp := runSpec{in: r.in, bo: transplant.BuildOptions{Seed: r.seed}, wo: transplant.WriteOptions{ToolVersion: version, TokenRows: r.tokenFile != ""}, mf: &r.mf}
	sp.in.AuxSeed = r.seed
	// An apply has no donor to fit head rows to: the run that saves the
	// recipe fits them to the base alone (the recut rows to its
	// projection), so that applying it to this base gives the same.
	if r.saveTo != "" {
		r.mf.baseOnly = true
	}
	var err error
	if !r.mf.auto() {
		if sp.c, err = r.mf.choice(); err != nil {
			return sp, err
		}
	} else if err = r.mf.resolve(); err != nil {
		return sp, err
	}
	if r.mf.calibration != "" {
		sp.wo.MoreInputs = append(sp.wo.MoreInputs, transplant.InputFile{Role: "calibration text", Path: r.mf.calibration})
	}
	if sp.in.Tokenizer == "" && sp.in.Donor == "" {
		return sp, fmt.Errorf("no new tokenizer: give --tokenizer, or a --donor whose tokenizer to use")
	}
	if sp.in.Map, err = readMap(r.maps, r.mapFile); err != nil {
		return sp, err
	}
	if err = r.output.set(&sp.wo); err != nil {
		return sp, err
	}
	if sp.bo.Shard, sp.bo.Shards, err = parseShard(r.shard); err != nil {
		return sp, err
	}
	switch {
	case sp.bo.Shards > 1 && (r.saveTo == "" || r.out != ""):
		return sp, fmt.Errorf("--shard solves part of the rows: give --save-recipe FILE and no --out (join the parts with transplant recipe merge)")
	case r.out == "" && r.saveTo == "" && !r.dryRun:
		return sp, fmt.Errorf("--out is required (or --save-recipe, or --dry-run)")
	}
	return sp, nil
}

func newRunCmd() *cobra.Command {
	var r runFlags
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
read. --save-recipe also keeps what the run decided, for transplant apply.`,
		Example: `  transplant run --base ./Mistral-7B --tokenizer ./gpt2/tokenizer.json --method subword --out ./mistral-gpt2
  transplant run --base ./A --donor ./B --method knn --out ./A-on-B
  transplant run --base ./llama --tokenizer ./qwen --map '<|eot_id|>=<|im_end|>' --dry-run
  transplant run --base ./A --donor ./B --method omp --shard 0/4 --save-recipe part-0.recipe`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return r.run(cmd) },
	}
	r.register(cmd.Flags())
	cmd.MarkFlagRequired("base")
	return cmd
}

// run is transplant run: open, plan, build, then write the model, the
// recipe or both.
func (r *runFlags) run(cmd *cobra.Command) error {
	sp, err := r.spec()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	s, err := openSession(ctx, sp.in)
	if err != nil {
		return err
	}
	defer s.Close()
	if sp.wo.Explain, err = s.ResolveTokens(r.explain); err != nil {
		return fmt.Errorf("--explain: %w", err)
	}
	if r.dryRun {
		plan, err := sp.mf.plan(s, sp.wo.Dtype)
		if err != nil {
			return err
		}
		if r.asJSON {
			return writeJSON(cmd.OutOrStdout(), plan)
		}
		printPlan(cmd.OutOrStdout(), plan)
		est, err := sp.mf.estimate(s, plan.Forward, nil)
		printEstimate(cmd.OutOrStdout(), "forward passes", est)
		return err
	}
	p := newProgress(cmd.ErrOrStderr(), r.quiet)
	defer p.done()
	if err := sp.choose(ctx, s); err != nil {
		return err
	}
	plan, err := s.Plan(sp.c, sp.wo.Dtype)
	if err != nil {
		return err
	}
	if !r.asJSON && !r.quiet {
		printPlan(cmd.ErrOrStderr(), plan)
	}
	limitMemory(plan.MemoryBytes)
	sp.bo.Progress, sp.wo.Progress = p.update, p.update
	b, err := s.Build(ctx, sp.c, sp.bo)
	if err != nil {
		return err
	}
	if !r.quiet {
		warnCalibration(cmd.ErrOrStderr(), b)
	}
	if r.saveTo != "" {
		if err := saveRecipe(s, b, r.saveTo); err != nil {
			return err
		}
		if r.out == "" {
			p.done()
			fmt.Fprintf(cmd.OutOrStdout(), "wrote recipe %s\n", r.saveTo)
			return nil
		}
	}
	rep, err := s.Write(ctx, r.out, b, sp.wo)
	p.done()
	if err != nil {
		return err
	}
	if r.tokenFile != "" {
		if err := writeTokenRows(r.tokenFile, rep.Tokens); err != nil {
			return fmt.Errorf("--token-report: %w", err)
		}
	}
	if r.asJSON {
		return writeJSON(cmd.OutOrStdout(), rep)
	}
	printRunReport(cmd.OutOrStdout(), r.out, rep)
	printExplanations(cmd.OutOrStdout(), rep.Explanations)
	return nil
}

// saveRecipe writes what b decided as a recipe file.
func saveRecipe(s *transplant.Session, b *transplant.Built, path string) error {
	r, err := s.Recipe(b, version)
	if err != nil {
		return err
	}
	return recipe.WriteFile(path, r)
}

// parseShard reads "I/N" (I from 0); "" is the whole solve.
func parseShard(s string) (index, count int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	i, n, ok := strings.Cut(s, "/")
	index, err1 := strconv.Atoi(i)
	count, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || count < 1 || index < 0 || index >= count {
		return 0, 0, fmt.Errorf("--shard %q: want I/N with 0 ≤ I < N", s)
	}
	return index, count, nil
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
