package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/transplant-dev/transplant"
	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/extend"
	"github.com/transplant-dev/transplant/internal/safefile"
)

// uncalibratedNote tells a user extending without a calibration text what
// it costs: the new tokens' head rows are then the prior's, which put their
// probability at an average old token's (README: A extended by 2,000
// tokens, 1.077 of A's bits per byte on the held-out text uncalibrated,
// 1.008 calibrated on the corpus).
const uncalibratedNote = "transplant: note: without --calibration-text the new tokens' head rows are not fitted to the base model, " +
	"which costs the most of any choice here; --calibration-text with the corpus, or any text of its kind, fits them " +
	"for a forward pass of the base over up to its first MiB"

// extendFlags are the flags of transplant extend.
type extendFlags struct {
	base, corpus, out, text string
	opts                    extend.Options
	mf                      methodFlags
	seed                    uint64
	output                  outputFlags
	dryRun, asJSON, quiet   bool
	lineBreaks              bool
}

func newExtendCmd() *cobra.Command {
	var e extendFlags
	cmd := &cobra.Command{
		Use:   "extend --base DIR --corpus FILE --add N --out DIR",
		Short: "Learn new tokens on a corpus, add them to the model's tokenizer and tables, and measure",
		Long: `Extend grows the base model's vocabulary instead of replacing it. It learns up
to --add new tokens on --corpus (text the base cuts into too many pieces: a
language, a domain, a code base), chosen by the tokens they save: for BPE
tokenizers new merges after the existing ones, for Unigram new pieces with
scores, for WordPiece new words. Every old token and added token keeps its
id; new ids follow every old one (and the padding rows, if the base padded
its tables), so text without the new tokens encodes exactly as before.

Each new token's rows are built from the old pieces it replaces, with
--method as in transplant run; the output directory is written as run
writes it, with the extended tokenizer. The report gives bytes per token on
the corpus before and after and, with --text, the efficiency on that text
and the bits per byte of the base and of the extended model there.

--calibration-text fits the new tokens' head rows to the base model (and
with auto, chooses the methods by measurement on it): the corpus itself
will do, at the cost of a forward pass of the base over up to its first
MiB. Without it the head rows are only the prior's, which costs the most
of any choice here.

--dry-run learns the tokens and prints them with the corpus statistics,
what the transplant will take and, with --text, how the extended tokenizer
cuts that text; it writes nothing.`,
		Example: `  transplant extend --base ./llama --corpus ./icelandic.txt --add 8000 --calibration-text ./icelandic.txt --out ./llama-is --text ./is-heldout.txt
  transplant extend --base ./A --corpus calib.txt --add 2000 --dry-run --text heldout.txt`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return e.run(cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&e.base, "base", "", "base model directory (required)")
	f.StringVar(&e.corpus, "corpus", "", "UTF-8 text to learn new tokens on (required)")
	f.IntVar(&e.opts.Add, "add", 0, "number of new tokens to learn (required)")
	f.StringVar(&e.out, "out", "", "output model directory (must not exist)")
	f.StringVar(&e.text, "text", "", "held-out UTF-8 text to measure efficiency and bits per byte on (efficiency alone with --dry-run)")
	f.IntVar(&e.opts.MinFrequency, "min-frequency", 2, "fewest occurrences on the corpus a new token needs")
	f.IntVar(&e.opts.MaxWords, "max-words", extend.DefaultMaxWords, "distinct words kept while counting (bounds memory; the rarest are forgotten)")
	f.BoolVar(&e.opts.MixPunctuation, "mix-punctuation", false, "let new tokens join letters and punctuation even when the base's tokens never do")
	f.BoolVar(&e.lineBreaks, "line-breaks", true, "let new tokens be runs of line breaks (\"\\n\\n\") even when the base spells line breaks only in bytes (--line-breaks=false: no line breaks in them)")
	e.mf.register(f)
	f.Uint64Var(&e.seed, "seed", 0, "seed for random methods")
	e.output.register(f)
	f.BoolVar(&e.dryRun, "dry-run", false, "learn and print the new tokens and the plan; write nothing")
	f.BoolVar(&e.asJSON, "json", false, "print the report as JSON")
	f.BoolVarP(&e.quiet, "quiet", "q", false, "no progress on stderr")
	for _, name := range []string{"base", "corpus", "add"} {
		cmd.MarkFlagRequired(name)
	}
	return cmd
}

// extendReport is what extend prints: the learning, the transplant and
// the measurements.
type extendReport struct {
	Added      int                `json:"added"`
	Wanted     int                `json:"wanted"`
	FirstID    int                `json:"first_id"`
	Learning   extend.Stats       `json:"learning"`
	Seconds    float64            `json:"learning_seconds"`
	Tokens     []extend.Token     `json:"tokens,omitempty"`
	Plan       *transplant.Plan   `json:"plan,omitempty"`
	Transplant *transplant.Report `json:"transplant,omitempty"`
	Text       *eval.Report       `json:"text,omitempty"`
	// Estimate is a dry run's estimate of the forward passes' time.
	Estimate *timeEstimate `json:"time_estimate,omitempty"`
}

func (e *extendFlags) run(cmd *cobra.Command) error {
	if e.out == "" && !e.dryRun {
		return fmt.Errorf("--out is required (or --dry-run)")
	}
	if e.opts.Add <= 0 {
		return fmt.Errorf("--add %d: want a positive number of tokens", e.opts.Add)
	}
	e.opts.NoLineBreaks = !e.lineBreaks
	if err := e.mf.resolve(); err != nil {
		return err
	}
	ctx := cmd.Context()
	p := newProgress(cmd.ErrOrStderr(), e.quiet)
	defer p.done()
	ext, rep, err := e.learn(ctx, p)
	if err != nil {
		return err
	}
	if ext.Warning != nil && !e.quiet {
		fmt.Fprintf(cmd.ErrOrStderr(), "transplant: warning: %v; adding the %d found\n", ext.Warning, len(ext.Tokens))
	}
	if e.mf.calibration == "" && !e.quiet {
		fmt.Fprintln(cmd.ErrOrStderr(), uncalibratedNote)
	}
	files, err := ext.Files()
	if err != nil {
		return err
	}
	s, err := openSession(ctx, transplant.Inputs{Base: e.base, Tokenizer: "extended tokenizer", TokenizerFiles: files})
	if err != nil {
		return err
	}
	defer s.Close()
	wo, err := e.writeOptions()
	if err != nil {
		return err
	}
	if e.dryRun {
		plan, err := e.mf.plan(s, wo.Dtype)
		if err != nil {
			return err
		}
		rep.Plan = &plan
		var text []byte
		if e.text != "" {
			if rep.Text, text, err = e.efficiency(ctx, s, p); err != nil {
				return err
			}
		}
		// Measuring --text will pass the base and the extended model over it.
		work := plan.Forward
		work.BaseBytes += 2 * int64(len(text))
		if rep.Estimate, err = e.mf.estimate(s, work, text); err != nil {
			return err
		}
		p.done()
		return e.print(cmd.OutOrStdout(), rep)
	}
	c, auto, err := e.mf.resolveChoice(ctx, s, e.seed)
	if err != nil {
		return err
	}
	wo.Auto = auto
	bo := transplant.BuildOptions{Seed: e.seed, Progress: p.update}
	if err := e.mf.buildOptions(&bo, &c); err != nil {
		return err
	}
	plan, err := s.Plan(c, wo.Dtype)
	if err != nil {
		return err
	}
	rep.Plan = &plan
	limitMemory(plan.MemoryBytes)
	wo.Progress = p.update
	b, err := s.Build(ctx, c, bo)
	if err != nil {
		return err
	}
	warnCalibration(cmd.ErrOrStderr(), b)
	if rep.Transplant, err = s.Write(ctx, e.out, b, wo); err != nil {
		return err
	}
	if e.text != "" {
		if rep.Text, err = e.measure(ctx, s, p); err != nil {
			return err
		}
	}
	p.done()
	return e.print(cmd.OutOrStdout(), rep)
}

// learn reads the base tokenizer and learns the new tokens on the corpus.
func (e *extendFlags) learn(ctx context.Context, p *progress) (*extend.Extension, *extendReport, error) {
	if inside, err := safefile.Within(e.out, e.base); err == nil && inside && e.out != "" {
		return nil, nil, fmt.Errorf("--out %s: %w %s", e.out, checkpoint.ErrOutputInsideInput, e.base)
	}
	base, err := extend.Open(e.base)
	if err != nil {
		return nil, nil, err
	}
	m, err := checkpoint.Open(e.base)
	if err != nil {
		return nil, nil, err
	}
	emb, ok := m.Embedding()
	m.Close()
	if !ok {
		return nil, nil, fmt.Errorf("base %s: %w: no input embedding known", e.base, checkpoint.ErrUnsupportedArchitecture)
	}
	f, err := os.Open(e.corpus)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	opts := e.opts
	opts.FirstID = emb.Shape[0]
	opts.Progress = func(pr extend.Progress) { p.update(pr.Stage.String(), pr.Done, pr.Total) }
	start := time.Now()
	ext, err := extend.Learn(ctx, base, f, opts)
	if err != nil {
		var ce *extend.CorpusError
		if errors.As(err, &ce) {
			return nil, nil, fmt.Errorf("corpus %s: %w", e.corpus, err)
		}
		return nil, nil, err
	}
	return ext, &extendReport{Added: len(ext.Tokens), Wanted: e.opts.Add, FirstID: ext.FirstID, Learning: ext.Stats,
		Seconds: time.Since(start).Seconds(), Tokens: ext.Tokens}, nil
}

func (e *extendFlags) writeOptions() (transplant.WriteOptions, error) {
	wo := transplant.WriteOptions{ToolVersion: version, MoreInputs: []transplant.InputFile{{Role: "corpus", Path: e.corpus}}}
	return wo, e.output.set(&wo)
}

// measure compares the base and the extended model on --text: how each
// tokenizer cuts it, and bits per byte split by the new tokens.
func (e *extendFlags) measure(ctx context.Context, s *transplant.Session, p *progress) (*eval.Report, error) {
	rep, text, err := e.efficiency(ctx, s, p)
	if err != nil {
		return nil, err
	}
	sf := scoreFlags{}
	scored, err := scoreInto(ctx, rep, e.base, "base", true, eval.SplitOptions{}, text, &sf, p)
	if err != nil {
		return nil, err
	}
	if _, err := scoreInto(ctx, rep, e.out, "extended", false, eval.SplitOptions{Baseline: s.OldTokenizer(), Against: scored}, text, &sf, p); err != nil {
		return nil, err
	}
	return rep, nil
}

// efficiency reads --text and compares how the base and the extended
// tokenizer cut it, which --dry-run reports too since it needs no model.
func (e *extendFlags) efficiency(ctx context.Context, s *transplant.Session, p *progress) (*eval.Report, []byte, error) {
	text, err := os.ReadFile(e.text)
	if err != nil {
		return nil, nil, err
	}
	rep := &eval.Report{Text: filepath.Base(e.text)}
	return rep, text, efficiencyInto(ctx, rep, s.OldTokenizer(), s.NewTokenizer(), text, p)
}

func (e *extendFlags) print(w io.Writer, rep *extendReport) error {
	if e.asJSON {
		return writeJSON(w, rep)
	}
	before, after := rep.Learning.BytesPerToken()
	fmt.Fprintf(w, "learned %d of %d tokens (ids %d…) on %s of corpus in %.1f s\n",
		rep.Added, rep.Wanted, rep.FirstID, humanBytes(rep.Learning.Bytes), rep.Seconds)
	fmt.Fprintf(w, "corpus: %d → %d tokens, %.3f → %.3f bytes per token (%.1f%% fewer tokens)\n",
		rep.Learning.TokensBefore, rep.Learning.TokensAfter, before, after,
		100*(1-float64(rep.Learning.TokensAfter)/float64(max(rep.Learning.TokensBefore, 1))))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nid\ttoken\tsaves\tpieces")
	for i, t := range rep.Tokens {
		if i == 20 && !e.dryRun {
			fmt.Fprintf(tw, "…\t%d more\t\t\n", len(rep.Tokens)-i)
			break
		}
		fmt.Fprintf(tw, "%d\t%q\t%d\t%d\n", t.ID, t.Spelling, t.Saved, len(t.Pieces))
	}
	tw.Flush()
	if rep.Plan != nil {
		fmt.Fprintln(w)
		printPlan(w, *rep.Plan)
		printEstimate(w, "forward passes", rep.Estimate)
	}
	if rep.Transplant != nil {
		fmt.Fprintln(w)
		printRunReport(w, e.out, rep.Transplant)
	}
	if rep.Text != nil {
		fmt.Fprintln(w)
		printTables(w, rep.Text.Tables())
	}
	return nil
}
