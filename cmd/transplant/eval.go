package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/transplant-dev/transplant"
	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/internal/fastblas"
	"github.com/transplant-dev/transplant/tokenizer"
)

// scoreFlags are the bits-per-byte options.
type scoreFlags struct {
	text                     string
	context, stride, threads int
	worst                    int
}

func (s *scoreFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.text, "text", "", "UTF-8 text file to score")
	f.IntVar(&s.context, "context", 0, fmt.Sprintf("ids per window (default: the model's context, at most %d)", eval.MaxDefaultContext))
	f.IntVar(&s.stride, "stride", 0, "distance between window starts (default: --context, i.e. no overlap)")
	f.IntVar(&s.threads, "threads", 0, "windows scored at once (default: all cores)")
	f.IntVar(&s.worst, "worst", 0, "list the N new tokens that cost each model the most bits (needs a baseline)")
}

func (s *scoreFlags) options(p *progress, stage string) eval.Options {
	return eval.Options{
		Context: s.context, Stride: s.stride, Workers: s.threads,
		Progress: func(done, total int) { p.update(stage, int64(done), int64(total)) },
	}
}

func newEvalCmd() *cobra.Command {
	var (
		sf       scoreFlags
		out      evalOutput
		mf       methodFlags
		models   []string
		baseline string
		cmp      comparison
	)
	cmd := &cobra.Command{
		Use:   "eval --model DIR --text FILE",
		Short: "Measure quality: bits-per-byte on a text, reconstruction of known rows, tokenization efficiency",
		Long: `Eval makes the quality of a model, or of a transplant, a number on your own text.

With --model it scores each model's zero-shot bits-per-byte on --text: the
negative log-likelihood of the text in bits over its UTF-8 bytes, so models
with different tokenizers compare fairly. The text is cut after blank lines
into chunks of at most 64 KiB, each encoded without special tokens and
preceded by BOS; windows of --context ids, --stride apart, score every token
once. --baseline adds a model to compare the others with (their ratio), and
splits each other model's bits per byte three ways by the tokens the
baseline's vocabulary lacks: over the bytes of new tokens, of tokens right
after a new token, and of shared tokens, each with its share of the text.
--worst N lists the new tokens that cost each model the most bits.

With --base and --methods it compares initialization methods end to end:
each method transplants the base onto the new tokenizer (--tokenizer, or the
donor's), the result is scored like a --model, and the base is the baseline
(so the scores are split by the tokens the base lacks); the report adds the reconstruction and efficiency evaluations below.

Subcommands:
  reconstruct   rebuild held-out shared tokens' rows with each method, compare with the true rows
  efficiency    how an old and a new tokenizer cut a text

Results print as tables; --json prints JSON; --report DIR also writes a
Markdown report with PNG charts.`,
		Example: `  transplant eval --model ./A-on-B --baseline ./A --text heldout.txt
  transplant eval --base ./A --donor ./B --methods mean,subword,omp --text heldout.txt --worst 10 --report ./eval-report
  transplant eval reconstruct --base ./A --donor ./B --methods subword,knn,hybrid,omp
  transplant eval efficiency --old ./A --new ./B --text heldout.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if sf.text == "" {
				return fmt.Errorf("--text is required")
			}
			if len(models) == 0 && baseline == "" && cmp.in.Base == "" {
				return fmt.Errorf("nothing to score: give --model DIR (or --base DIR --methods LIST)")
			}
			if sf.worst > 0 && baseline == "" && cmp.in.Base == "" {
				return fmt.Errorf("--worst needs a baseline to tell new tokens from shared ones: give --baseline DIR (or --base DIR --methods LIST)")
			}
			text, err := os.ReadFile(sf.text)
			if err != nil {
				return err
			}
			p := newProgress(cmd.ErrOrStderr(), out.quiet)
			defer p.done()
			rep := &eval.Report{Text: filepath.Base(sf.text)}
			var scored *eval.Targets // the baseline's, or else the base's
			if cmp.in.Base != "" {
				if scored, err = cmp.run(cmd.Context(), rep, &mf, &sf, text, p); err != nil {
					return err
				}
			}
			if baseline != "" {
				if scored, err = scoreInto(cmd.Context(), rep, baseline, "", true, eval.SplitOptions{}, text, &sf, p); err != nil {
					return err
				}
			}
			var against *tokenizer.Tokenizer
			if len(models) > 0 {
				if against, err = splitVocabulary(baseline, cmp.in.Base); err != nil {
					return err
				}
			}
			for _, m := range models {
				if _, err := scoreInto(cmd.Context(), rep, m, "", false, eval.SplitOptions{Baseline: against, Against: scored}, text, &sf, p); err != nil {
					return err
				}
			}
			p.done()
			return out.emit(cmd, rep)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&models, "model", nil, "model directory to score (repeatable)")
	f.StringVar(&baseline, "baseline", "", "model directory to compare with, e.g. the base of a transplant")
	sf.register(cmd)
	cmp.register(cmd)
	mf.register(cmd.Flags())
	hideMethodChoice(cmd)
	out.register(cmd)
	cmd.AddCommand(newEvalReconstructCmd(), newEvalEfficiencyCmd())
	return cmd
}

// hideMethodChoice hides methodFlags' --method and --head-method: eval
// commands take a list of methods instead, but share the methods' knobs.
func hideMethodChoice(cmd *cobra.Command) {
	for _, name := range []string{"method", "head-method"} {
		cmd.Flags().MarkHidden(name)
	}
}

// splitVocabulary loads the vocabulary that tells a model's new tokens
// from its shared ones: the baseline's, or else the base's; nil when there
// is neither.
func splitVocabulary(baseline, base string) (*tokenizer.Tokenizer, error) {
	switch {
	case baseline != "":
		return tokenizer.Load(baseline)
	case base != "":
		return tokenizer.Load(base)
	}
	return nil, nil
}

// scoreInto scores the model in dir and adds it to the report, labelled
// name (the directory's name when empty). A baseline's targets are kept
// and returned, for the others' splits (eval.SplitOptions.Against);
// another model's score is split as split says (--worst sets Worst).
func scoreInto(ctx context.Context, rep *eval.Report, dir, name string, baseline bool, split eval.SplitOptions, text []byte, sf *scoreFlags, p *progress) (*eval.Targets, error) {
	label := name
	if label == "" {
		label = filepath.Base(filepath.Clean(dir))
	}
	opts := sf.options(p, "scoring "+label)
	// Windows already run one per core; a BLAS call that also spread over
	// every core would oversubscribe them (OpenBLAS's threads spin).
	if opts.Workers != 1 {
		prev := fastblas.Threads()
		fastblas.SetThreads(1)
		defer fastblas.SetThreads(prev)
	}
	split.Worst = sf.worst
	var s eval.ModelScore
	var targets eval.Targets
	var err error
	if baseline {
		s, targets, err = eval.ScoreDirTargets(ctx, dir, text, opts, eval.SplitOptions{})
	} else {
		s, err = eval.ScoreDirSplit(ctx, dir, text, opts, split)
	}
	if err != nil {
		return nil, err
	}
	s.Name = label
	rep.AddModel(s, baseline)
	if !baseline {
		return nil, nil
	}
	return &targets, nil
}

// comparison is the --base --methods form of eval: transplant with each
// method, score each result.
type comparison struct {
	in      transplant.Inputs
	methods string
	seed    uint64
	holdOut string
	keep    string
}

func (c *comparison) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&c.in.Base, "base", "", "compare methods: the base model directory to transplant")
	f.StringVar(&c.in.Tokenizer, "tokenizer", "", "compare methods: the new tokenizer (default: the donor's)")
	f.StringVar(&c.in.Donor, "donor", "", "compare methods: a donor model that uses the new tokenizer")
	f.StringVar(&c.in.AuxText, "aux-text", "", "compare methods: without a donor, a text whose co-occurrence statistics give the new tokens vectors")
	f.StringVar(&c.methods, "methods", "", "compare methods: comma-separated list, e.g. mean,subword,omp; INPUT/HEAD uses one method per table, e.g. omp/mean; a +cal suffix calibrates the head on --calibration-text, e.g. knn+cal")
	f.Uint64Var(&c.seed, "seed", 0, "seed for random methods and the reconstruction sample")
	f.StringVar(&c.holdOut, "holdout", "", fmt.Sprintf("reconstruction: tokens to hold out, a count or a percentage (default %d)", transplant.DefaultHoldOut))
	f.StringVar(&c.keep, "keep", "", "compare methods: keep each transplanted model in DIR/METHOD instead of a temporary directory")
}

// run opens the inputs once, adds the reconstruction and efficiency
// evaluations, then transplants the base with each method into a scratch
// directory and scores the result. It returns the base's scored targets.
func (c *comparison) run(ctx context.Context, rep *eval.Report, mf *methodFlags, sf *scoreFlags, text []byte, p *progress) (*eval.Targets, error) {
	if c.methods == "" {
		return nil, fmt.Errorf("--base needs --methods")
	}
	if c.in.Tokenizer == "" && c.in.Donor == "" {
		return nil, fmt.Errorf("--base needs a new tokenizer: give --tokenizer or --donor")
	}
	choices, err := mf.parseChoices(c.methods)
	if err != nil {
		return nil, err
	}
	c.in.AuxSeed = c.seed
	s, err := openSession(ctx, c.in)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if err := reconstructInto(ctx, rep, s, distinctMethods(choices), c.seed, c.holdOut, p); err != nil {
		return nil, err
	}
	if err := efficiencyInto(ctx, rep, s.OldTokenizer(), s.NewTokenizer(), text, p); err != nil {
		return nil, err
	}
	scored, err := scoreInto(ctx, rep, c.in.Base, "", true, eval.SplitOptions{}, text, sf, p)
	if err != nil {
		return nil, err
	}
	split := eval.SplitOptions{Baseline: s.OldTokenizer(), Against: scored}
	scratch := c.keep
	if scratch == "" {
		if scratch, err = os.MkdirTemp("", "transplant-eval-"); err != nil {
			return nil, err
		}
		defer os.RemoveAll(scratch)
	} else if err := os.MkdirAll(scratch, 0o777); err != nil {
		return nil, err
	}
	for _, ch := range choices {
		dir := filepath.Join(scratch, strings.ReplaceAll(ch.name, "/", "-"))
		if err := c.transplant(ctx, s, mf, ch, dir, p); err != nil {
			return nil, err
		}
		if _, err := scoreInto(ctx, rep, dir, ch.name, false, split, text, sf, p); err != nil {
			return nil, err
		}
		if c.keep == "" {
			os.RemoveAll(dir)
		}
	}
	return scored, nil
}

func (c *comparison) transplant(ctx context.Context, s *transplant.Session, mf *methodFlags, ch namedChoice, out string, p *progress) error {
	progress := func(stage string, done, total int64) { p.update(ch.name+": "+stage, done, total) }
	choice := ch.Choice
	if ch.auto {
		var err error
		if choice, _, err = mf.resolveAuto(ctx, s, c.seed); err != nil {
			return err
		}
	}
	bo := transplant.BuildOptions{Seed: c.seed, Progress: progress}
	if err := mf.buildOptions(&bo, &choice); err != nil {
		return err
	}
	b, err := s.Build(ctx, choice, bo)
	if err != nil {
		return err
	}
	_, err = s.Write(ctx, out, b, transplant.WriteOptions{ToolVersion: version, Progress: progress})
	return err
}
