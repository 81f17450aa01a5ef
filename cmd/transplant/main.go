// Command transplant moves a pretrained language model onto a new tokenizer
// without training: it aligns the two vocabularies on the bytes their tokens
// stand for, builds embedding and output-head rows for the new tokens, and
// writes a model directory that Hugging Face transformers loads as it is.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

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
		newApplyCmd(),
		newRecipeCmd(),
		newBatchCmd(),
		newExtendCmd(),
		newEvalCmd(),
	)
	return root
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit status: 0 on
// success, 130 (128 + SIGINT, as shells report it) when interrupted by
// SIGINT or SIGTERM, 1 on any other error. Errors print on one line.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return 0
	case ctx.Err() != nil && errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "transplant: interrupted")
		return 130
	}
	// Errors from the root package already name it.
	msg := err.Error()
	if !strings.HasPrefix(msg, "transplant: ") {
		msg = "transplant: " + msg
	}
	fmt.Fprintln(stderr, msg)
	return 1
}
