package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/tokenizer"
)

func newEvalEfficiencyCmd() *cobra.Command {
	var (
		oldTok, newTok, text string
		out                  evalOutput
	)
	cmd := &cobra.Command{
		Use:   "efficiency --old T --new T --text FILE",
		Short: "Compare how an old and a new tokenizer cut a text",
		Long: `Efficiency encodes --text with both tokenizers (no special tokens, in the
chunks bits-per-byte scoring uses) and reports, for each: tokens, bytes per
token, tokens per word (a word is a run of non-space characters),
byte-fallback tokens, unknown tokens, and the share of the text's bytes carried
by tokens the other vocabulary lacks — for the new tokenizer, the rows a
transplant has to build. A tokenizer is a tokenizer.json[.gz] or a directory
holding one, such as a model directory.`,
		Example: `  transplant eval efficiency --old ./Mistral-7B --new ./gpt2 --text heldout.txt`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := os.ReadFile(text)
			if err != nil {
				return err
			}
			p := newProgress(cmd.ErrOrStderr(), out.quiet)
			defer p.done()
			old, err := tokenizer.Load(oldTok)
			if err != nil {
				return fmt.Errorf("old tokenizer: %w", err)
			}
			tok, err := tokenizer.Load(newTok)
			if err != nil {
				return fmt.Errorf("new tokenizer: %w", err)
			}
			rep := &eval.Report{Text: filepath.Base(text)}
			if err := efficiencyInto(cmd.Context(), rep, old, tok, b, p); err != nil {
				return err
			}
			p.done()
			return out.emit(cmd, rep)
		},
	}
	f := cmd.Flags()
	f.StringVar(&oldTok, "old", "", "old tokenizer, e.g. the base model's directory (required)")
	f.StringVar(&newTok, "new", "", "new tokenizer (required)")
	f.StringVar(&text, "text", "", "UTF-8 text file (required)")
	out.register(cmd)
	for _, name := range []string{"old", "new", "text"} {
		cmd.MarkFlagRequired(name)
	}
	return cmd
}

// efficiencyInto compares the old and new tokenizers on text.
func efficiencyInto(ctx context.Context, rep *eval.Report, old, tok *tokenizer.Tokenizer, text []byte, p *progress) error {
	var err error
	rep.Efficiency, err = eval.CompareEfficiency(ctx, text, old, tok, eval.EfficiencyOptions{
		Progress: func(done, total int) { p.update("tokenizing", int64(done), int64(total)) },
	})
	return err
}
