package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// sklearnResult is what sklearn_slice.py writes.
type sklearnResult struct {
	Version          string    `json:"sklearn"`
	Dtype            string    `json:"dtype"`
	Targets          int       `json:"targets"`
	GramSeconds      float64   `json:"gram_seconds"`
	SecondsPerTarget float64   `json:"seconds_per_target"`
	Extrapolated     float64   `json:"extrapolated_seconds"`
	GramBytes        int64     `json:"gram_bytes"`
	Supports         [][]int32 `json:"supports"`
}

// printReport prints one table from the result files of both builds and
// scikit-learn.
func printReport(files []string) error {
	var runs []*result
	var sk *sklearnResult
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), `"sklearn"`) {
			sk = new(sklearnResult)
			if err := json.Unmarshal(b, sk); err != nil {
				return fmt.Errorf("%s: %w", f, err)
			}
			continue
		}
		r := new(result)
		if err := json.Unmarshal(b, r); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		runs = append(runs, r)
	}
	if len(runs) == 0 {
		return fmt.Errorf("no Go results among %v", files)
	}
	p := runs[0].Problem
	n := p.full()
	fmt.Printf("OMP, problem %q: %d anchors × %d hidden, %d targets, k = %d, float32 (rank-%d structure + noise)\n\n",
		p.Name, p.Anchors, p.Hidden, n, p.K, p.Rank)
	row := func(label string, f func(r *result) string) {
		fmt.Printf("%-42s", label)
		for _, r := range runs {
			fmt.Printf("%28s", f(r))
		}
		fmt.Println()
	}
	row("", func(r *result) string { return r.BLAS })
	projected := runs[0].Ours.Targets < n
	ours := func(r *result) float64 {
		if !projected {
			return r.Ours.Seconds
		}
		return projectSolve(r, n)
	}
	base := func(r *result) float64 { return r.Baseline.Seconds * float64(n) / float64(r.Baseline.Targets) }
	row("Solve (this package)", func(r *result) string {
		if r.Ours.Targets == n {
			return fmt.Sprintf("%.1f s", r.Ours.Seconds)
		}
		return fmt.Sprintf("%.1f s on %d", r.Ours.Seconds, r.Ours.Targets)
	})
	row("  initial / Gram / rebase / steps (s)", func(r *result) string {
		s := r.Stats
		return fmt.Sprintf("%.0f / %.0f / %.0f / %.0f", s.InitialTime.Seconds(), s.GramTime.Seconds(), s.RebaseTime.Seconds(), s.StepTime.Seconds())
	})
	row("  Gram columns computed", func(r *result) string { return fmt.Sprintf("%d of %d", r.Stats.GramColumns, p.Anchors) })
	row("  rechecks / rebases per target", func(r *result) string {
		return fmt.Sprintf("%.1f / %.2f", float64(r.Stats.Rechecks)/float64(r.Ours.Targets), float64(r.Stats.Rebases)/float64(r.Ours.Targets))
	})
	row("  working memory", func(r *result) string { return fmt.Sprintf("%.2f GiB", float64(r.Stats.Bytes)/(1<<30)) })
	row("full-correlation baseline (mergekit's)", func(r *result) string {
		return fmt.Sprintf("%.0f s (%d → ×%.0f)", base(r), r.Baseline.Targets, float64(n)/float64(r.Baseline.Targets))
	})
	if projected {
		row("Solve, projected to all targets", func(r *result) string { return fmt.Sprintf("%.0f s", ours(r)) })
		row("  per target / per Gram column", func(r *result) string {
			s := r.Stats
			per := (s.InitialTime + s.StepTime + s.RebaseTime).Seconds() / float64(r.Ours.Targets)
			return fmt.Sprintf("%.2f s / %.0f ms", per, 1e3*s.GramTime.Seconds()/float64(max(1, s.GramColumns)))
		})
	}
	row("  Solve is faster by", func(r *result) string { return fmt.Sprintf("%.1f×", base(r)/ours(r)) })
	if sk != nil {
		fmt.Printf("%-42s%28s\n", "scikit-learn orthogonal_mp_gram "+sk.Version, fmt.Sprintf("%.0f s", sk.Extrapolated))
		fmt.Printf("%-42s%28s\n", "  Gram + per target ("+sk.Dtype+", numpy BLAS)",
			fmt.Sprintf("%.1f s + %.2f s × %d", sk.GramSeconds, sk.SecondsPerTarget, n))
		fmt.Printf("%-42s%28s\n", "  measured on", fmt.Sprintf("%d targets", sk.Targets))
		row("  Solve is faster by", func(r *result) string { return fmt.Sprintf("%.0f×", sk.Extrapolated/ours(r)) })
	}
	row("supports identical to baseline (ordered)", func(r *result) string {
		a := r.Agreement
		s := fmt.Sprintf("%d/%d", a.Identical, a.Compared)
		if a.Parted > 0 {
			s += fmt.Sprintf(" (+%d ties ≤ %.0e)", a.OursBetter, a.MaxGap)
		}
		return s
	})
	if sk != nil {
		row("supports identical to scikit-learn (sets)", func(r *result) string {
			c, same := sameSets(r.Supports, sk.Supports)
			return fmt.Sprintf("%d/%d", same, c)
		})
	}
	fmt.Printf("\nbaseline and scikit-learn times are extrapolated linearly from the slices shown; %s\n", time.Now().Format(time.DateOnly))
	if projected {
		col := float64(p.Anchors) * 4
		fmt.Printf("Solve's projection: its per-target time on the slice × %d targets, plus one Gram column for every anchor\n", n)
		fmt.Printf("(the slice used %d). Memory for the full run without recomputing a Gram column: every column,\n", runs[0].Stats.GramColumns)
		fmt.Printf("%.1f GiB, plus a batch of 4096 targets' correlations, %.1f GiB, plus the anchors, %.1f GiB.\n",
			col*float64(p.Anchors)/(1<<30), col*4096/(1<<30), col*float64(p.Hidden)/(1<<30))
	}
	return nil
}

// projectSolve projects a run on a slice of targets to n targets: the
// per-target phases scale with the targets, and the Gram phase is charged
// one column per anchor, the most any run can need.
func projectSolve(r *result, n int) float64 {
	s := r.Stats
	perTarget := (s.InitialTime + s.StepTime + s.RebaseTime).Seconds() / float64(r.Ours.Targets)
	perColumn := s.GramTime.Seconds() / float64(max(1, s.GramColumns))
	return perTarget*float64(n) + perColumn*float64(r.Problem.Anchors)
}
