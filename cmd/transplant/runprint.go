package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/transplant-dev/transplant"
	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/internal/safefile"
)

func printPlan(w io.Writer, p transplant.Plan) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "base\t%s (%s, %s parameters, %s)\n", p.Base.Path, p.Base.Architecture, humanCount(p.Base.Parameters), tiedWord(p.Base.Tied))
	fmt.Fprintf(tw, "old tokenizer\t%d ids\n", p.OldTokenizer.VocabSize)
	fmt.Fprintf(tw, "new tokenizer\t%s (%d ids)\n", p.NewTokenizer.Path, p.NewTokenizer.VocabSize)
	if p.Donor != nil {
		fmt.Fprintf(tw, "donor\t%s (%s, %s)\n", p.Donor.Path, p.Donor.Architecture, tiedWord(p.Donor.Tied))
	}
	tw.Flush()
	fmt.Fprintln(w)
	printAlignment(w, p.Alignment)
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "table\ttensor\tmethod\trows\tcopied\tbuilt\tpadding\tdtype")
	for _, t := range p.Tables {
		method := t.Method
		if p.Auto {
			method = "auto"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d → %d × %d\t%d\t%d\t%d\t%s\n", t.Role, t.Tensor, method, t.OldRows, t.NewRows, t.Cols, t.Copied, t.Built, t.Padding, t.Dtype)
	}
	tw.Flush()
	if p.Auto {
		fmt.Fprintln(w, "\nauto chooses the methods when it runs (scoring candidates on the calibration text, if any); the memory is that of its costliest choice")
	}
	fmt.Fprintf(w, "\nmemory needed: about %s", humanBytes(p.MemoryBytes))
	if p.CalibrationBytes > 0 {
		fmt.Fprintf(w, " (calibrating the head holds %s of it)", humanBytes(p.CalibrationBytes))
	}
	fmt.Fprintf(w, "; output weights: %s\n", humanBytes(p.OutputBytes))
}

func printAlignment(w io.Writer, r align.Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	pct := func(n int) string { return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(max(r.NewTokens, 1))) }
	fmt.Fprintf(tw, "new tokens copied from the base\t%d\t%s\t\n", r.Shared, pct(r.Shared))
	for _, k := range []align.Kind{align.Exact, align.ByBytes, align.ByRole, align.BySpelling, align.Mapped, align.Unemitted} {
		if n := r.Kinds[k.String()]; n > 0 {
			fmt.Fprintf(tw, "  %s\t%d\t\t\n", kindLabel(k), n)
		}
	}
	fmt.Fprintf(tw, "new tokens to build\t%d\t%s\t\n", r.Kinds[align.New.String()], pct(r.Kinds[align.New.String()]))
	if n := r.Kinds[align.NewSpecial.String()]; n > 0 {
		fmt.Fprintf(tw, "new special tokens without a counterpart\t%d\t\t\n", n)
	}
	fmt.Fprintf(tw, "padding rows\t%d\t\t\n", r.Kinds[align.Padding.String()])
	fmt.Fprintf(tw, "matching spellings alone would find\t%d\t(byte alignment: +%d)\t\n", r.SpellingMatches, r.Shared-r.SpellingMatches)
	if r.NewByteFallback > 0 {
		fmt.Fprintf(tw, "new byte-fallback tokens matched\t%d of %d\t\t\n", r.ByteFallbackMatched, r.NewByteFallback)
	}
	fmt.Fprintf(tw, "old tokens no new token uses\t%d\t\t\n", r.OldUnused)
	if r.OldWithoutRow > 0 {
		fmt.Fprintf(tw, "old ids without a row in the base\t%d\t\t\n", r.OldWithoutRow)
	}
	tw.Flush()
	var roles []string
	for _, rp := range r.Roles {
		if rp.Old < 0 && rp.New < 0 {
			continue
		}
		s := fmt.Sprintf("%s %s → %s", rp.Role, idOrNone(rp.Old), idOrNone(rp.New))
		if rp.Moved {
			s += " (row copied)"
		}
		roles = append(roles, s)
	}
	if len(roles) > 0 {
		fmt.Fprintf(w, "roles: %s\n", strings.Join(roles, ", "))
	}
}

func kindLabel(k align.Kind) string {
	switch k {
	case align.Exact:
		return "same spelling"
	case align.ByBytes:
		return "same bytes, other spelling"
	case align.ByRole:
		return "special, by role"
	case align.BySpelling:
		return "special, same spelling"
	case align.Mapped:
		return "by --map"
	case align.Unemitted:
		return "bytes never emitted now, from one never emitted before"
	}
	return k.String()
}

func idOrNone(id int) string {
	if id < 0 {
		return "none"
	}
	return fmt.Sprint(id)
}

func printRunReport(w io.Writer, out string, rep *transplant.Report) {
	for _, t := range rep.Tables {
		keys := make([]string, 0, len(t.Counts))
		for k := range t.Counts {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = fmt.Sprintf("%s %d", k, t.Counts[k])
		}
		fmt.Fprintf(w, "%s (%s, %d × %d %s): %s\n", t.Role, t.Method, t.Rows, t.Cols, t.Dtype, strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "wrote %s (report in %s/transplant.json)\n", out, out)
}

func tiedWord(tied bool) string {
	if tied {
		return "tied embedding and head"
	}
	return "untied head"
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

func printExplanations(w io.Writer, rows []transplant.TokenRow) {
	for _, r := range rows {
		fmt.Fprintf(w, "\n%q (#%d), %s: %s", r.Token, r.ID, r.Table, r.How)
		if r.From != nil {
			fmt.Fprintf(w, " from %q (#%d)", r.From.Token, r.From.ID)
		}
		for _, name := range slices.Sorted(maps.Keys(r.Measures)) {
			fmt.Fprintf(w, ", %s %.3f", name, r.Measures[name])
		}
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, t := range r.Terms {
			fmt.Fprintf(tw, "  %+.4f\t%q\t#%d\n", t.Weight, t.Token, t.ID)
		}
		if r.Mean != 0 {
			fmt.Fprintf(tw, "  %+.4f\tthe mean of the base rows\t\n", r.Mean)
		}
		if r.Noise != nil {
			fmt.Fprintf(tw, "  +\ta draw from N(0, %g·Σ), seed %d and the token's id\t\n", r.Noise.Scale, r.Noise.Seed)
		}
		tw.Flush()
	}
}

// writeTokenRows writes one JSON object per row, gzipped when the name
// ends in .gz; the file appears only when complete.
func writeTokenRows(path string, rows []transplant.TokenRow) error {
	f, err := safefile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	var w io.Writer = f
	var zw *gzip.Writer
	if strings.HasSuffix(path, ".gz") {
		zw = gzip.NewWriter(f)
		w = zw
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	return f.Commit()
}
