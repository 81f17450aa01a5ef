package main

import (
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/transplant-dev/transplant/batch"
)

func newBatchCmd() *cobra.Command {
	var (
		index, count int
		gather       bool
		dryRun       bool
		jobs         int
		memory       string
		quiet        bool
	)
	cmd := &cobra.Command{
		Use:   "batch JOBS.yaml",
		Short: "Run a file of transplants: shared solves, resumable, on one machine or a cluster",
		Long: `Batch runs the jobs of a YAML job file. A job names a base (or several, or a
glob), a tokenizer, optionally a donor, method options by their run flag
names with '_' for '-', an output directory and optionally an evaluation;
defaults apply to every job. Jobs with the same old and new tokenizer,
donor and method options share one recipe: one solve, one apply per job.

A job whose output exists with a transplant.json that matches its inputs
and options is skipped, so an interrupted batch rerun redoes only what is
missing; a failed job does not stop the others, and the exit status says
whether all succeeded. Units run --jobs at a time within --memory. The
summary goes to the state directory (jobs.batch/ beside the job file, or
the file's dir key) as batch.json and batch.md.

On a cluster, --index I --count N runs a deterministic slice of the work
(whole jobs and shards of split solves); without the flags the slice comes
from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or from
JOB_COMPLETION_INDEX with --count. Then --gather merges shards, applies the
recipes still to apply, scores and writes the summary. See docs/batch.md,
docs/slurm.md and docs/kubernetes.md.`,
		Example: `  transplant batch jobs.yaml --jobs 2 --memory 16GiB
  sbatch --array=0-7 --wrap 'transplant batch jobs.yaml --index $SLURM_ARRAY_TASK_ID --count 8'
  transplant batch jobs.yaml --gather`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := batch.ParseFile(args[0], jobSchema())
			if err != nil {
				return err
			}
			w := newBatchWorker()
			plan := batch.NewPlan(f, w.key)
			opt := batch.Options{Jobs: jobs, Progress: batchProgress(cmd, quiet)}
			if memory != "" {
				if opt.Memory, err = parseSize(memory); err != nil {
					return fmt.Errorf("--memory: %w", err)
				}
			}
			ctx := cmd.Context()
			t, sliced, err := batch.TaskFromEnv(index, count, os.Getenv)
			if err != nil && !gather {
				return err
			}
			if dryRun {
				list := plan.Units
				switch {
				case gather:
					list = plan.GatherUnits()
				case sliced:
					if list, err = plan.Slice(t); err != nil {
						return err
					}
				}
				previews, err := plan.Preview(ctx, list, w, opt)
				if err != nil {
					return err
				}
				printPreview(cmd.OutOrStdout(), plan.File, previews, opt.Memory)
				return nil
			}
			if gather {
				s, err := plan.RunGather(ctx, w, opt)
				return printSummary(cmd, s, err)
			}
			if sliced {
				return plan.RunTask(ctx, t, w, opt)
			}
			s, err := plan.RunAll(ctx, w, opt)
			return printSummary(cmd, s, err)
		},
	}
	f := cmd.Flags()
	f.IntVar(&index, "index", -1, "run the slice of array task I (from 0) of --count")
	f.IntVar(&count, "count", 0, "number of array tasks")
	f.BoolVar(&gather, "gather", false, "after the array tasks: merge shards, apply, score and write the summary")
	f.BoolVar(&dryRun, "dry-run", false, "print what would run (and what is done, or not needed) with each unit's memory; run and write nothing")
	f.IntVar(&jobs, "jobs", 1, "units run at once")
	f.StringVar(&memory, "memory", "", "memory the running units may need together, e.g. 32GiB (default: no bound)")
	f.BoolVarP(&quiet, "quiet", "q", false, "no line per unit on stderr")
	return cmd
}

// jobSchema is what a job may set: every run flag that says what to build,
// by name.
func jobSchema() batch.Schema {
	fs := pflag.NewFlagSet("job", pflag.ContinueOnError)
	var r runFlags
	r.register(fs)
	s := batch.SchemaFromFlags(fs)
	s.Remove(perInvocation...)
	s.MarkPath("map-file", "aux-text", "calibration-text")
	return s
}

// batchProgress prints a line per unit that ends.
func batchProgress(cmd *cobra.Command, quiet bool) func(batch.Event) {
	if quiet {
		return nil
	}
	w := cmd.ErrOrStderr()
	return func(e batch.Event) {
		if e.Record == nil {
			return
		}
		r := e.Record
		line := fmt.Sprintf("%s %s (%s)", r.Status, e.Unit.ID, time.Duration(r.Seconds*float64(time.Second)).Round(time.Millisecond))
		if r.Error != "" {
			line += ": " + r.Error
		}
		fmt.Fprintln(w, line)
	}
}

// printPreview prints what a batch would do, a line per unit, the jobs
// that cannot run, and the totals.
func printPreview(w io.Writer, f *batch.File, previews []batch.Preview, budget int64) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "unit\tkind\tstatus\tmemory\toutput")
	var run, done, unneeded, failed int
	var peak int64
	for _, pv := range previews {
		status, mem := "", ""
		switch {
		case pv.Status == batch.Pending:
			run++
			peak = max(peak, pv.Memory)
			status, mem = "would run", humanBytes(pv.Memory)
			if budget > 0 && pv.Memory > budget {
				status += " alone (over --memory)"
			}
		case pv.Status == batch.Failed:
			failed++
			status = "fails: " + pv.Error
		case pv.Done:
			done++
			status = "done: skipped"
		default:
			unneeded++
			status = "not needed: skipped"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", pv.Unit.ID, pv.Unit.Kind, status, mem, pv.Unit.Out)
	}
	tw.Flush()
	fmt.Fprintf(w, "\n%d units: %d would run (the largest needs %s), %d done, %d not needed, %d failing their check\n",
		len(previews), run, humanBytes(peak), done, unneeded, failed)
	for _, j := range f.Jobs {
		if j.Err != nil {
			fmt.Fprintf(w, "job %s fails: %v\n", j.ID, j.Err)
		}
	}
}

// printSummary prints the batch's table and passes err on.
func printSummary(cmd *cobra.Command, s *batch.Summary, err error) error {
	if s != nil {
		cmd.OutOrStdout().Write(s.Markdown())
	}
	return err
}
