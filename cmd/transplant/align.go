package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/tokenizer"
)

func newAlignCmd() *cobra.Command {
	var (
		base, tok, mapFile string
		maps               []string
		rows, examples     int
		asJSON             bool
	)
	cmd := &cobra.Command{
		Use:   "align --base DIR|TOKENIZER --tokenizer TOKENIZER",
		Short: "Report how two vocabularies overlap",
		Long: `Align matches the new tokenizer's tokens against the base's on the bytes they
stand for (Ġ, ▁ and <0x0A> are spellings, not meanings), maps special tokens
by role and --map, and reports the overlap: tokens copied, tokens to build,
padding, and how many more matches byte alignment finds than comparing
spellings. --base is a model directory (its embedding's row count then
counts) or just a tokenizer.`,
		Example: `  transplant align --base ./Mistral-7B --tokenizer ./gpt2/tokenizer.json
  transplant align --base llama3/tokenizer.json --tokenizer gemma3/ --examples 10
  transplant align --base ./A --tokenizer ./B --json | jq .kinds`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := readMap(maps, mapFile)
			if err != nil {
				return err
			}
			oldTok, oldRows, err := baseVocabulary(base)
			if err != nil {
				return err
			}
			if rows > 0 {
				oldRows = rows
			}
			newTok, err := tokenizer.Load(tok)
			if err != nil {
				return err
			}
			oldV, newV := align.FromTokenizer(oldTok), align.FromTokenizer(newTok)
			a, err := align.Align(oldV, newV, align.Options{OldRows: oldRows, Map: m})
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), a.Report)
			}
			printAlignment(cmd.OutOrStdout(), a.Report)
			if examples > 0 {
				printExamples(cmd.OutOrStdout(), a, oldV, newV, examples)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&base, "base", "", "base model directory, or the old tokenizer (required)")
	f.StringVar(&tok, "tokenizer", "", "new tokenizer: tokenizer.json[.gz] or a directory (required)")
	f.StringArrayVar(&maps, "map", nil, "pair an old special token with a new one, OLD=NEW (repeatable)")
	f.StringVar(&mapFile, "map-file", "", "file of OLD=NEW lines, or a JSON object")
	f.IntVar(&rows, "rows", 0, "rows of the base embedding (default: from the model, or one per id)")
	f.IntVar(&examples, "examples", 0, "show this many example tokens of each kind")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	cmd.MarkFlagRequired("base")
	cmd.MarkFlagRequired("tokenizer")
	return cmd
}

// baseVocabulary loads the old tokenizer, and the embedding's row count when
// path is a model directory.
func baseVocabulary(path string) (*tokenizer.Tokenizer, int, error) {
	tok, err := tokenizer.Load(path)
	if err != nil {
		return nil, 0, err
	}
	m, err := checkpoint.Open(path)
	if err != nil {
		return tok, 0, nil // a bare tokenizer: one row per id
	}
	defer m.Close()
	if e, ok := m.Embedding(); ok {
		return tok, e.Shape[0], nil
	}
	return tok, 0, nil
}

func printExamples(w io.Writer, a *align.Alignment, oldV, newV *align.Vocab, n int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, k := range []align.Kind{align.ByBytes, align.ByRole, align.BySpelling, align.Mapped, align.Unemitted, align.New, align.NewSpecial} {
		shown := 0
		for id := 0; id < len(newV.Tokens) && shown < n; id++ {
			if a.Kind[id] != k {
				continue
			}
			if shown == 0 {
				fmt.Fprintf(tw, "\n%s:\n", kindLabel(k))
			}
			from := ""
			if src := a.Source[id]; src >= 0 {
				from = fmt.Sprintf("← %d %q", src, oldV.Tokens[src].Spelling)
			}
			fmt.Fprintf(tw, "  %d\t%q\t%q\t%s\n", id, newV.Tokens[id].Spelling, newV.Tokens[id].Bytes, from)
			shown++
		}
	}
	tw.Flush()
}
