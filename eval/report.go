package eval

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
)

// A Report gathers the evaluations of one run for printing: bits-per-byte
// of models on a text, tokenization efficiency, reconstruction. Any part
// may be absent.
type Report struct {
	// Text names the file scored and measured.
	Text           string                `json:"text,omitempty"`
	Models         []ModelScore          `json:"bits_per_byte,omitempty"`
	Efficiency     *Efficiency           `json:"efficiency,omitempty"`
	Reconstruction *ReconstructionReport `json:"reconstruction,omitempty"`
}

// ModelScore is one model's bits-per-byte on the text.
type ModelScore struct {
	// Name labels the model in tables and charts: a method name, or the
	// directory's base name.
	Name string `json:"name"`
	Path string `json:"path,omitempty"`
	// Baseline marks the model the others are compared with.
	Baseline bool `json:"baseline,omitempty"`
	// Context and Stride are the windowing used.
	Context int `json:"context"`
	Stride  int `json:"stride"`
	Result
	BitsPerByte  float64 `json:"bits_per_byte"`
	BitsPerToken float64 `json:"bits_per_token"`
	// Ratio is BitsPerByte over the baseline's; 0 without a baseline.
	Ratio float64 `json:"ratio_to_baseline,omitempty"`
	// Split divides the bits by the tokens the baseline's vocabulary
	// lacks; nil when the score was not split (without a baseline, and
	// for the baseline itself, all of whose tokens are shared).
	Split *Split `json:"split,omitempty"`
	// WorstNew lists the new tokens that cost the most bits, costliest
	// first.
	WorstNew []TokenCost `json:"worst_new_tokens,omitempty"`
}

func newModelScore(path string, res Result, ctxLen, stride int) ModelScore {
	return ModelScore{
		Name:         filepath.Base(filepath.Clean(path)),
		Path:         path,
		Context:      ctxLen,
		Stride:       stride,
		Result:       res,
		BitsPerByte:  res.BitsPerByte(),
		BitsPerToken: res.BitsPerToken(),
	}
}

// AddModel appends a score, marked as the baseline when baseline is set,
// and recomputes every ratio to the baseline.
func (r *Report) AddModel(s ModelScore, baseline bool) {
	s.Baseline = baseline
	if baseline {
		for i := range r.Models {
			r.Models[i].Baseline = false
		}
	}
	r.Models = append(r.Models, s)
	var base float64
	for _, m := range r.Models {
		if m.Baseline {
			base = m.BitsPerByte
		}
	}
	for i := range r.Models {
		r.Models[i].Ratio = 0
		if base > 0 {
			r.Models[i].Ratio = r.Models[i].BitsPerByte / base
		}
	}
}

// A Table is one table of a report, already formatted: the terminal and
// Markdown renderings share it.
type Table struct {
	Title  string
	Note   string // one line under the title, may be empty
	Header []string
	Rows   [][]string
}

// Tables returns the report's tables in the order they are printed.
func (r *Report) Tables() []Table {
	var ts []Table
	if len(r.Models) > 0 {
		ts = append(ts, r.bitsPerByteTable())
	}
	if r.hasSplit() {
		ts = append(ts, r.splitTable())
	}
	for _, m := range r.Models {
		if len(m.WorstNew) > 0 {
			ts = append(ts, m.worstTable())
		}
	}
	if r.Efficiency != nil {
		ts = append(ts, r.Efficiency.table())
	}
	if r.Reconstruction != nil {
		ts = append(ts, r.Reconstruction.tables()...)
	}
	return ts
}

func (r *Report) bitsPerByteTable() Table {
	t := Table{
		Title:  "Bits per byte",
		Header: []string{"model", "bits/byte", "ratio", "bits/token", "tokens", "windows", "context/stride"},
	}
	if r.Text != "" {
		t.Note = "on " + r.Text
	}
	for _, m := range r.Models {
		name, ratio := m.Name, "—"
		if m.Baseline {
			name += " (baseline)"
		}
		if m.Ratio > 0 {
			ratio = fmt.Sprintf("%.3f", m.Ratio)
		}
		t.Rows = append(t.Rows, []string{name, fmt.Sprintf("%.4f", m.BitsPerByte), ratio,
			fmt.Sprintf("%.4f", m.BitsPerToken), fmt.Sprint(m.Tokens), fmt.Sprint(m.Windows), fmt.Sprintf("%d/%d", m.Context, m.Stride)})
	}
	return t
}

// splitTitle names the table of split scores and the section of its chart.
const splitTitle = "Bits per byte by part of the text"

// partNames label the parts of a Split, in the order of Split.Parts.
var partNames = [3]string{"bytes in new tokens", "bytes right after a new token", "bytes in shared tokens"}

func (r *Report) hasSplit() bool {
	return slices.ContainsFunc(r.Models, func(m ModelScore) bool { return m.Split != nil })
}

// splitShares formats the byte share of each part when every split score
// has the same ones (as models with one tokenizer do), for the header.
func (r *Report) splitShares() (shares [3]string, same bool) {
	first := true
	for _, m := range r.Models {
		if m.Split == nil {
			continue
		}
		var s [3]string
		for i, p := range m.Split.Parts() {
			s[i] = percent1(p.ByteShare)
		}
		if !first && s != shares {
			return [3]string{}, false
		}
		shares, first = s, false
	}
	return shares, true
}

// splitTable has a row per model: its bits per byte over the text, then
// over each part's bytes. Shares go in the header when all models agree on
// them, in each cell otherwise; a model scored without a split (the
// baseline) shows its total only. A split that holds the baseline's bits
// on its parts (Split.Baseline) is followed by a row of them, since each
// model's tokenizer cuts the text into parts of its own.
func (r *Report) splitTable() Table {
	shares, same := r.splitShares()
	t := Table{Title: splitTitle, Header: []string{"model", "total"}}
	if r.Text != "" {
		t.Note = "on " + r.Text
	}
	for i, name := range partNames {
		if same {
			name += " (" + shares[i] + ")"
		}
		t.Header = append(t.Header, name)
	}
	for _, m := range r.Models {
		name := m.Name
		if m.Baseline {
			name += " (baseline)"
		}
		row := []string{name, f3(m.BitsPerByte)}
		for _, p := range splitParts(m.Split) {
			cell := "—"
			if p != nil && p.Bytes > 0 {
				cell = f3(p.BitsPerByte)
			}
			if p != nil && !same {
				cell += " (" + percent1(p.ByteShare) + ")"
			}
			row = append(row, cell)
		}
		t.Rows = append(t.Rows, row)
		if b, ok := r.baseline(); ok && m.Split != nil && m.Split.Baseline {
			t.Rows = append(t.Rows, baselineRow(b, m.Split))
		}
	}
	return t
}

// baseline returns the report's baseline model, if it has one.
func (r *Report) baseline() (ModelScore, bool) {
	i := slices.IndexFunc(r.Models, func(m ModelScore) bool { return m.Baseline })
	if i < 0 {
		return ModelScore{}, false
	}
	return r.Models[i], true
}

// baselineRow is the baseline's bits per byte on the parts of sp.
func baselineRow(b ModelScore, sp *Split) []string {
	row := []string{"  " + b.Name + " on the same bytes", f3(b.BitsPerByte)}
	for _, p := range sp.Parts() {
		cell := "—"
		if p.Bytes > 0 {
			cell = f3(p.BaselineBitsPerByte)
		}
		row = append(row, cell)
	}
	return row
}

// splitParts is sp.Parts(), or three nil parts without a split.
func splitParts(sp *Split) [3]*Part {
	if sp == nil {
		return [3]*Part{}
	}
	return sp.Parts()
}

func percent1(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// worstTableTitle prefixes the title of a model's costliest new tokens.
const worstTableTitle = "Costliest new tokens"

// worstTable lists m's costliest new tokens, with the baseline's bits per
// byte on the same bytes when the split has them.
func (m ModelScore) worstTable() Table {
	t := Table{
		Title:  worstTableTitle + ": " + m.Name,
		Header: []string{"token", "id", "occurrences", "bits", "bits/occurrence", "bits/byte"},
	}
	if m.Split != nil {
		t.Note = fmt.Sprintf("the %d new tokens that cost %s the most bits; all %d occurrences of new tokens cost %.1f bits",
			len(m.WorstNew), m.Name, m.Split.New.Tokens, m.Split.New.Bits)
	}
	against := m.Split != nil && m.Split.Baseline
	if against {
		t.Header = append(t.Header, "baseline's bits/byte")
	}
	for _, c := range m.WorstNew {
		row := []string{fmt.Sprintf("%q", c.Token), fmt.Sprint(c.ID), fmt.Sprint(c.Occurrences),
			fmt.Sprintf("%.1f", c.Bits), f3(c.BitsPerOccurrence), f3(c.BitsPerByte)}
		if against {
			row = append(row, f3(c.BaselineBitsPerByte))
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func (e *Efficiency) table() Table {
	row := func(name string, f func(TokenizerEfficiency) string) []string {
		return []string{name, f(e.Old), f(e.New)}
	}
	return Table{
		Title:  "Tokenization efficiency",
		Note:   fmt.Sprintf("%d bytes, %d words (runs of non-space characters)", e.Bytes, e.Words),
		Header: []string{"", "old", "new"},
		Rows: [][]string{
			row("tokens", func(t TokenizerEfficiency) string { return fmt.Sprint(t.Tokens) }),
			row("bytes per token", func(t TokenizerEfficiency) string { return fmt.Sprintf("%.3f", t.BytesPerToken) }),
			row("tokens per word", func(t TokenizerEfficiency) string { return fmt.Sprintf("%.3f", t.TokensPerWord) }),
			row("byte-fallback tokens", func(t TokenizerEfficiency) string { return percent(t.ByteFallbackFraction) }),
			row("unknown tokens", func(t TokenizerEfficiency) string { return fmt.Sprint(t.Unknown) }),
			row("text in tokens the other lacks", func(t TokenizerEfficiency) string { return percent(t.NotSharedShare) }),
		},
	}
}

func percent(f float64) string { return fmt.Sprintf("%.2f%%", 100*f) }

func (rr *ReconstructionReport) tables() []Table {
	var ts []Table
	for _, tr := range rr.Tables {
		t := Table{
			Title: "Reconstruction: " + tr.Table.String(),
			Note: fmt.Sprintf("%d of %d shared tokens held out (seed %d), %d anchors left; %s",
				len(rr.HeldOut), rr.Eligible, rr.Seed, rr.Anchors, tr.Tensor),
			Header: []string{"method", "cos mean", "cos median", "cos p10", "rel L2 mean", "rel L2 median", "rel L2 p90", "rows built by"},
		}
		for _, m := range tr.Methods {
			name := m.Method
			if m.Baseline {
				name += " (baseline)"
			}
			c, e := m.Cosine, m.RelativeL2
			t.Rows = append(t.Rows, []string{name,
				f3(c.Mean), f3(c.Median), f3(c.P10), f3(e.Mean), f3(e.Median), f3(e.P90), countsString(m.Counts)})
		}
		ts = append(ts, t)
	}
	return ts
}

func f3(v float64) string { return fmt.Sprintf("%.3f", v) }

// countsString lists counts largest first: "subword 990, mean (no pieces) 10".
func countsString(c map[string]int) string {
	keys := slices.Collect(maps.Keys(c))
	slices.SortFunc(keys, func(a, b string) int {
		if c[a] != c[b] {
			return c[b] - c[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, c[k])
	}
	return strings.Join(parts, ", ")
}
