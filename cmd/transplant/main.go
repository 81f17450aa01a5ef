// Command transplant moves a pretrained language model onto a new tokenizer
// without training: it aligns the two vocabularies on the bytes their tokens
// stand for, builds embedding and output-head rows for the new tokens, and
// writes a model directory that Hugging Face transformers loads as it is.
package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "transplant",
		Short:         "Move a pretrained language model onto a new tokenizer without training",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	// Each subcommand lives in its own file as a constructor.
	root.AddCommand(
		// subcommands are registered here, one line each
		newInspectCmd(),
		newTokenizeCmd(),
		newAlignCmd(),
		newRunCmd(),
		newEvalCmd(),
	)
	return root
}

func main() {
	if err := newRootCmd().Execute(); err != nil {
		// Errors from the root package already name it.
		msg := err.Error()
		if !strings.HasPrefix(msg, "transplant: ") {
			msg = "transplant: " + msg
		}
		fmt.Fprintln(os.Stderr, msg)
		os.Exit(1)
	}
}
