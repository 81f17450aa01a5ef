package batch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A Summary is the outcome of a batch: one row per job, one per shared
// recipe. Paths are relative to the job file's directory.
type Summary struct {
	JobFile string          `json:"job_file"` // its base name
	Totals  Totals          `json:"totals"`   // jobs by status
	Jobs    []JobSummary    `json:"jobs"`
	Recipes []RecipeSummary `json:"recipes,omitempty"`
}

// Totals counts jobs by status.
type Totals struct {
	Done    int `json:"done"`
	Skipped int `json:"skipped"`
	Failed  int `json:"failed"`
	Pending int `json:"pending"`
}

// A JobSummary is how one job went: its model and its evaluation.
type JobSummary struct {
	Job     string  `json:"job"`
	Line    int     `json:"line"`
	Base    string  `json:"base"`
	Out     string  `json:"out"`
	Recipe  string  `json:"recipe,omitempty"` // the group whose solve it shares
	Status  Status  `json:"status"`
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"` // its own units' time, the shared solve not included
	Result
}

// A RecipeSummary is how a shared or split solve went.
type RecipeSummary struct {
	Recipe  string  `json:"recipe"`
	Jobs    int     `json:"jobs"`
	Shards  int     `json:"shards"`
	Status  Status  `json:"status"`
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"` // solve, shards and merge added up
}

// Summary sums up the plan from its units' records (by unit ID); a unit
// without a record is pending.
func (p *Plan) Summary(records map[string]*Record) *Summary {
	s := &Summary{JobFile: filepath.Base(p.File.Path)}
	byJob := map[*Job][]*Unit{}
	byGroup := map[*Group][]*Unit{}
	for _, u := range p.Units {
		if u.Kind == SolveUnit || u.Kind == MergeUnit {
			byGroup[u.Group] = append(byGroup[u.Group], u)
		} else {
			byJob[u.Job] = append(byJob[u.Job], u)
		}
	}
	dir := filepath.Dir(p.File.Path)
	rel := func(path string) string {
		if r, err := filepath.Rel(dir, path); err == nil {
			return filepath.ToSlash(r)
		}
		return path
	}
	for _, j := range p.File.Jobs {
		js := JobSummary{Job: j.ID, Line: j.Line, Base: rel(j.Base), Out: rel(j.Out), Status: Failed}
		if j.Err != nil {
			js.Error = j.Err.Error()
			if pe := (*Error)(nil); errors.As(j.Err, &pe) {
				js.Error = pe.Err.Error() // the row has the line; the file is the summary's
			}
		} else {
			js.Status, js.Error, js.Seconds = combine(byJob[j], records)
			for _, u := range byJob[j] {
				if r := records[u.ID]; r != nil && r.Counts != nil && u.Kind != EvalUnit {
					js.Counts = r.Counts
				}
				if r := records[u.ID]; r != nil && r.Eval != nil && u.Kind == EvalUnit {
					js.Eval = r.Eval
				}
				if u.Group != nil {
					js.Recipe = u.Group.ID
				}
			}
		}
		s.Jobs = append(s.Jobs, js)
		*s.Totals.of(js.Status)++
	}
	for _, g := range p.Groups {
		rs := RecipeSummary{Recipe: g.ID, Jobs: len(g.Jobs), Shards: g.Shards}
		rs.Status, rs.Error, rs.Seconds = combine(byGroup[g], records)
		s.Recipes = append(s.Recipes, rs)
	}
	return s
}

// combine sums up units: failed if one failed (with the first error),
// pending if one has no record, skipped if all were, else done.
func combine(units []*Unit, records map[string]*Record) (st Status, errMsg string, seconds float64) {
	st = Skipped
	for _, u := range units {
		r := records[u.ID]
		switch {
		case r == nil:
			if st != Failed {
				st = Pending
			}
			continue
		case r.Status == Failed && st != Failed:
			st, errMsg = Failed, u.ID+": "+r.Error
		case r.Status == Done && st == Skipped:
			st = Done
		}
		seconds += r.Seconds
	}
	return st, errMsg, seconds
}

func (t *Totals) of(s Status) *int {
	switch s {
	case Done:
		return &t.Done
	case Skipped:
		return &t.Skipped
	case Failed:
		return &t.Failed
	}
	return &t.Pending
}

// OK reports whether every job is done or skipped.
func (s *Summary) OK() bool { return s.Totals.Failed == 0 && s.Totals.Pending == 0 }

// Write writes batch.json and batch.md into dir, each atomically.
func (s *Summary) Write(dir string) error {
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(dir, "batch.json"), append(data, '\n')); err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, "batch.md"), s.Markdown())
}

// Markdown renders the summary as a page: a line of totals, a table of
// jobs with a column for each count and evaluation number any job
// reported, and a table of shared recipes.
func (s *Summary) Markdown() []byte {
	var b bytes.Buffer
	t := s.Totals
	fmt.Fprintf(&b, "# Batch %s\n\n%d jobs: %d done, %d skipped, %d failed, %d pending.\n\n",
		s.JobFile, len(s.Jobs), t.Done, t.Skipped, t.Failed, t.Pending)
	counts, evals := map[string]bool{}, map[string]bool{}
	hasRecipe, hasError := false, false
	for _, j := range s.Jobs {
		for k := range j.Counts {
			counts[k] = true
		}
		for k := range j.Eval {
			evals[k] = true
		}
		hasRecipe = hasRecipe || j.Recipe != ""
		hasError = hasError || j.Error != ""
	}
	countKeys, evalKeys := slices.Sorted(maps.Keys(counts)), slices.Sorted(maps.Keys(evals))
	head := []string{"job", "base"}
	if hasRecipe {
		head = append(head, "recipe")
	}
	head = append(append(append(head, "status", "time"), countKeys...), evalKeys...)
	if hasError {
		head = append(head, "error")
	}
	var rows [][]string
	for _, j := range s.Jobs {
		row := []string{j.Out, j.Base}
		if hasRecipe {
			row = append(row, j.Recipe)
		}
		row = append(row, string(j.Status), duration(j.Seconds))
		for _, k := range countKeys {
			row = append(row, intCell(j.Counts, k))
		}
		for _, k := range evalKeys {
			row = append(row, floatCell(j.Eval, k))
		}
		if hasError {
			row = append(row, j.Error)
		}
		rows = append(rows, row)
	}
	table(&b, head, rows)
	if len(s.Recipes) > 0 {
		b.WriteString("\nShared recipes (one solve for several jobs, or a solve split in shards):\n\n")
		rows = nil
		for _, r := range s.Recipes {
			rows = append(rows, []string{r.Recipe, strconv.Itoa(r.Jobs), strconv.Itoa(r.Shards), string(r.Status), duration(r.Seconds), r.Error})
		}
		table(&b, []string{"recipe", "jobs", "shards", "status", "time", "error"}, rows)
	}
	return b.Bytes()
}

func table(b *bytes.Buffer, head []string, rows [][]string) {
	line := func(cells []string) {
		for _, c := range cells {
			c = strings.ReplaceAll(strings.ReplaceAll(c, "|", `\|`), "\n", " ")
			b.WriteString("| " + c + " ")
		}
		b.WriteString("|\n")
	}
	line(head)
	sep := make([]string, len(head))
	for i := range sep {
		sep[i] = "---"
	}
	line(sep)
	for _, r := range rows {
		line(r)
	}
}

func duration(seconds float64) string {
	switch {
	case seconds == 0: // nothing ran
		return ""
	case seconds < 60:
		return strconv.FormatFloat(seconds, 'f', 1, 64) + "s"
	}
	return (time.Duration(seconds) * time.Second).String()
}

func intCell(m map[string]int64, k string) string {
	if v, ok := m[k]; ok {
		return strconv.FormatInt(v, 10)
	}
	return ""
}

func floatCell(m map[string]float64, k string) string {
	if v, ok := m[k]; ok {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	return ""
}
