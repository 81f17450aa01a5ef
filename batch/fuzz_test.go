package batch

import (
	"errors"
	"path/filepath"
	"testing"
)

// FuzzParse checks that no job file panics the parser, that refusals name
// the file and a line inside it, and that what parses plans into units
// that array tasks can share out.
func FuzzParse(f *testing.F) {
	f.Add([]byte(familyJobs))
	dir := tree(f)
	path := filepath.Join(dir, "jobs.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse(path, data, testSchema)
		lines := len(lineEnds(data)) + 1 // a node may sit just past the last line
		if err != nil {
			if file != nil {
				t.Fatal("a refused file came with jobs")
			}
			for _, e := range problems(err) {
				if e.File != path || e.Line < 0 || e.Line > lines {
					t.Fatalf("%v: file %q line %d of %d", e, e.File, e.Line, lines)
				}
			}
			if len(problems(err)) == 0 {
				t.Fatalf("a refusal without file and line: %v", err)
			}
			return
		}
		if len(file.Jobs) == 0 {
			t.Fatal("no jobs and no error")
		}
		outs, ids := map[string]bool{}, map[string]bool{}
		for _, j := range file.Jobs {
			if j.Line < 1 || j.Line > lines || !filepath.IsAbs(j.Out) || filepath.Clean(j.Out) != j.Out || ids[j.ID] {
				t.Fatalf("job %+v", j)
			}
			ids[j.ID] = true
			if errors.Is(j.Err, ErrNoMatch) {
				continue
			}
			if outs[j.Out] {
				t.Fatalf("two jobs write %s", j.Out)
			}
			outs[j.Out] = true
		}
		p := NewPlan(file, testKey)
		checkSlices(t, p, 3)
	})
}
