package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/transplant-dev/transplant"
	"github.com/transplant-dev/transplant/internal/utf8text"
	"github.com/transplant-dev/transplant/recipe"
)

func newApplyCmd() *cobra.Command {
	var (
		in      transplant.Inputs
		out     string
		output  outputFlags
		asJSON  bool
		quiet   bool
		calText string
	)
	cmd := &cobra.Command{
		Use:   "apply --recipe FILE --base DIR --out DIR",
		Short: "Give a checkpoint a new tokenizer with a saved recipe, without solving again",
		Long: `Apply builds the new tables of --base with the row maps of a recipe saved by
transplant run --save-recipe, and writes the model directory as run does. The
base must have the recipe's old vocabulary, token for token, and tables as
wide as the recipe's: a base model's instruct variant or fine-tunes qualify.
The recipe brings the new tokenizer and the alignment; nothing is solved,
so applying to the checkpoint a recipe was made from writes what run wrote.
A recipe saved by a run with --calibrate-head fits the head of each base
to that base on the same --calibration-text, which apply then needs.`,
		Example: `  transplant run --base ./llama --donor ./qwen --method omp --save-recipe llama-qwen.recipe --out ./llama-qwen
  transplant apply --recipe llama-qwen.recipe --base ./llama-instruct --out ./llama-instruct-qwen`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			wo := transplant.WriteOptions{ToolVersion: version}
			if err := output.set(&wo); err != nil {
				return err
			}
			ctx := cmd.Context()
			s, err := openSession(ctx, in)
			if err != nil {
				return err
			}
			defer s.Close()
			var text []byte
			if calText != "" {
				if text, err = utf8text.ReadFile(calText); err != nil {
					return fmt.Errorf("--calibration-text: %w", err)
				}
			}
			b, err := s.RecipeBuilt(ctx, text)
			if err != nil {
				return err
			}
			p := newProgress(cmd.ErrOrStderr(), quiet)
			defer p.done()
			wo.Progress = p.update
			rep, err := s.Write(ctx, out, b, wo)
			p.done()
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), rep)
			}
			printRunReport(cmd.OutOrStdout(), out, rep)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Recipe, "recipe", "", "recipe file written by transplant run --save-recipe (required)")
	f.StringVar(&in.Base, "base", "", "checkpoint to apply it to (required)")
	f.StringVar(&out, "out", "", "output model directory (required, must not exist)")
	output.register(f)
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.BoolVarP(&quiet, "quiet", "q", false, "no progress on stderr")
	f.StringVar(&calText, "calibration-text", "", "the text a recipe made with --calibrate-head fits each base's head on")
	for _, name := range []string{"recipe", "base", "out"} {
		cmd.MarkFlagRequired(name)
	}
	return cmd
}

func newRecipeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recipe",
		Short: "Work with saved recipes: merge shards, show what a recipe holds",
	}
	cmd.AddCommand(newRecipeMergeCmd(), newRecipeShowCmd())
	return cmd
}

func newRecipeMergeCmd() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge PART... --out FILE",
		Short: "Join the shards of a recipe solved with run --shard I/N",
		Long: `Merge joins every shard of one recipe, given in any order, into the recipe a
whole solve would have written, byte for byte. It refuses a missing or
repeated shard and shards of different solves.`,
		Example: `  for i in 0 1 2 3; do transplant run --base B --donor D --method omp --shard $i/4 --save-recipe part-$i.recipe; done
  transplant recipe merge part-*.recipe --out whole.recipe`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := recipe.MergeFiles(out, args...); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s from %d shards\n", out, len(args))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the merged recipe file (required)")
	cmd.MarkFlagRequired("out")
	return cmd
}

func newRecipeShowCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "show FILE",
		Short: "Print a recipe's metadata as JSON: provenance, tables, methods, shard",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := recipe.ReadFile(args[0])
			if err != nil {
				return err
			}
			return writeJSON(cmd.OutOrStdout(), r.Meta)
		},
	}
}
