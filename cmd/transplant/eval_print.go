package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/transplant-dev/transplant/eval"
)

// evalOutput is how every eval command delivers its report: a table on the
// terminal, JSON, and optionally a report directory.
type evalOutput struct {
	asJSON bool
	report string
	quiet  bool
}

func (o *evalOutput) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&o.asJSON, "json", false, "print the results as JSON")
	f.StringVar(&o.report, "report", "", "also write report.md, report.json and PNG charts into this directory")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress on stderr")
}

func (o *evalOutput) emit(cmd *cobra.Command, rep *eval.Report) error {
	if o.report != "" {
		if err := rep.WriteDir(o.report); err != nil {
			return err
		}
	}
	w := cmd.OutOrStdout()
	if o.asJSON {
		return writeJSON(w, rep)
	}
	printTables(w, rep.Tables())
	if o.report != "" {
		fmt.Fprintf(w, "\nreport written to %s\n", o.report)
	}
	return nil
}

func printTables(w io.Writer, tables []eval.Table) {
	for i, t := range tables {
		if i > 0 {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, t.Title)
		if t.Note != "" {
			fmt.Fprintln(w, t.Note)
		}
		// Numbers align right; the first column, padded to one width, reads
		// as left-aligned.
		first := 0
		for _, r := range append([][]string{t.Header}, t.Rows...) {
			first = max(first, utf8.RuneCountInString(r[0]))
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		for _, r := range append([][]string{t.Header}, t.Rows...) {
			pad := strings.Repeat(" ", first-utf8.RuneCountInString(r[0]))
			fmt.Fprintln(tw, r[0]+pad+"\t"+strings.Join(r[1:], "\t")+"\t")
		}
		tw.Flush()
	}
}
