package batch

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata (go test ./batch -run Summary -update)")

// TestSummaryGolden renders the family plan's summary from fixed records:
// a shared solve done, a split one whose apply failed, a skipped job, a
// pending one, and jobs that failed before running.
func TestSummaryGolden(t *testing.T) {
	p := familyPlan(t)
	a, b := p.Groups[0].ID, p.Groups[1].ID
	job := func(i int) string { return p.File.Jobs[i].ID }
	rec := func(unit string, st Status, seconds float64, res Result, errMsg string) *Record {
		return &Record{Unit: unit, Status: st, Seconds: seconds, Result: res, Error: errMsg}
	}
	counts := func(copied, built int64) Result {
		return Result{Counts: map[string]int64{"copied": copied, "built": built}}
	}
	records := map[string]*Record{}
	for _, r := range []*Record{
		rec("solve-"+a, Done, 412.5, Result{}, ""),
		rec("apply-"+job(0), Done, 31.25, counts(31000, 19257), ""),
		rec("eval-"+job(0), Done, 12, Result{Eval: map[string]float64{"bpb": 2.08014, "ratio": 1.107736}}, ""),
		rec("apply-"+job(1), Skipped, 0, counts(31000, 19257), ""),
		rec("solve-"+b+"-0-of-2", Done, 100, Result{}, ""),
		rec("solve-"+b+"-1-of-2", Done, 95.5, Result{}, ""),
		rec("merge-"+b, Done, 2, Result{}, ""),
		rec("apply-"+job(2), Failed, 1.5, Result{}, "out/ft-a exists | and differs"),
		rec("eval-"+job(2), Failed, 0, Result{}, "dependency not done: needs apply-"+job(2)+", which failed"),
		rec("apply-"+job(3), Done, 28, counts(31000, 19257), ""),
		rec("run-"+job(4), Done, 3725, counts(31000, 19257), ""),
	} {
		records[r.Unit] = r
	}
	s := p.Summary(records)
	if s.Totals != (Totals{Done: 3, Skipped: 1, Failed: 3, Pending: 1}) {
		t.Errorf("totals %+v", s.Totals)
	}
	js, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "summary.json", append(js, '\n'))
	golden(t, "summary.md", s.Markdown())

	// Write puts both in the state directory.
	if err := s.Write(p.File.Dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"batch.json", "batch.md"} {
		if _, err := os.Stat(filepath.Join(p.File.Dir, name)); err != nil {
			t.Error(err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(p.File.Dir, ".*tmp*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./batch -run Summary -update to rewrite it):\n%s", name, got)
	}
}
