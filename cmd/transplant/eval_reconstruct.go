package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/transplant-dev/transplant"
	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/heuristics"
)

func newEvalReconstructCmd() *cobra.Command {
	var (
		in      transplant.Inputs
		mf      methodFlags
		out     evalOutput
		methods string
		seed    uint64
		holdOut string
	)
	cmd := &cobra.Command{
		Use:   "reconstruct --base DIR [--tokenizer T] [--donor DIR]",
		Short: "Rebuild held-out shared tokens' rows with each method and compare with the true rows",
		Long: `Reconstruct measures initialization methods on rows whose answer is known. It
holds out a seeded random sample of ordinary tokens the base and new
vocabularies share, has every method build their rows as if they were new
(pieces cut by the base tokenizer as if the token were not in its
vocabulary; anchors without any held-out token), and reports the cosine
similarity and relative L2 error of the built rows to the base model's true
rows: mean, median and the bad tail, separately for the input embedding and
the output head. The mean vector is always there as the baseline.

Without --tokenizer or --donor the base tokenizer is its own new tokenizer,
so methods that need no donor can be compared on any model.`,
		Example: `  transplant eval reconstruct --base ./A --donor ./B --methods subword,knn,hybrid,omp
  transplant eval reconstruct --base ./llama --methods subword --holdout 5% --seed 7 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if methods == "" {
				methods = "subword,hybrid"
				if in.Donor != "" {
					methods = "subword,knn,hybrid,omp"
				}
			}
			ms, err := mf.parseMethods(methods)
			if err != nil {
				return err
			}
			s, err := openSession(cmd.Context(), in)
			if err != nil {
				return err
			}
			defer s.Close()
			p := newProgress(cmd.ErrOrStderr(), out.quiet)
			defer p.done()
			rep := &eval.Report{}
			if err := reconstructInto(cmd.Context(), rep, s, ms, seed, holdOut, p); err != nil {
				return err
			}
			p.done()
			return out.emit(cmd, rep)
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Base, "base", "", "base model directory (required)")
	f.StringVar(&in.Tokenizer, "tokenizer", "", "new tokenizer: tokenizer.json[.gz] or a directory (default: the donor's, else the base's)")
	f.StringVar(&in.Donor, "donor", "", "donor model directory that uses the new tokenizer (knn and omp need one)")
	f.StringVar(&in.AuxText, "aux-text", "", "without a donor: a text whose co-occurrence statistics give the new tokens vectors")
	f.StringVar(&methods, "methods", "", "comma-separated methods (default: subword,hybrid; with a donor subword,knn,hybrid,omp)")
	f.Uint64Var(&seed, "seed", 0, "seed for the sample and for random methods")
	f.StringVar(&holdOut, "holdout", "", fmt.Sprintf("tokens to hold out: a count, or a percentage of the shared tokens such as 5%% (default %d)", transplant.DefaultHoldOut))
	mf.register(cmd.Flags())
	hideMethodChoice(cmd)
	out.register(cmd)
	cmd.MarkFlagRequired("base")
	return cmd
}

// reconstructInto runs the reconstruction evaluation of the session's
// inputs into the report.
func reconstructInto(ctx context.Context, rep *eval.Report, s *transplant.Session, methods []heuristics.Method, seed uint64, holdOut string, p *progress) error {
	opts := transplant.HoldOutOptions{Seed: seed}
	if err := parseHoldOut(holdOut, &opts); err != nil {
		return err
	}
	r, err := s.HoldOut(opts)
	if err != nil {
		return err
	}
	rep.Reconstruction, err = eval.Reconstruct(ctx, r, methods, eval.ReconstructOptions{
		Progress: func(stage string, done, total int) { p.update(stage, int64(done), int64(total)) },
	})
	return err
}

// parseHoldOut reads "1000" or "5%".
func parseHoldOut(s string, o *transplant.HoldOutOptions) error {
	if s == "" {
		return nil
	}
	if pct, ok := strings.CutSuffix(s, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
		if err != nil || v <= 0 || v > 100 {
			return fmt.Errorf("--holdout %q: want a count or a percentage in (0, 100]", s)
		}
		o.Fraction = v / 100
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return fmt.Errorf("--holdout %q: want a count or a percentage in (0, 100]", s)
	}
	o.N = n
	return nil
}
