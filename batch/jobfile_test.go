package batch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// testSchema stands for the run command's flags.
var testSchema = Schema{
	"method":        {Kind: Value, Check: oneOf("zero", "mean", "subword", "knn", "omp", "broken")},
	"head-method":   {Kind: Value, Check: oneOf("zero", "mean", "subword", "knn", "omp")},
	"k":             {Kind: Value, Check: func(s string) error { _, err := strconv.Atoi(s); return err }},
	"omp-normalize": {Kind: Bool},
	"map":           {Kind: List},
	"map-file":      {Kind: Value, Path: true},
}

func oneOf(names ...string) func(string) error {
	return func(s string) error {
		if !slices.Contains(names, s) {
			return fmt.Errorf("want one of %s", strings.Join(names, ", "))
		}
		return nil
	}
}

// tree lays out the inputs job files in these tests name: four base
// directories, a tokenizer, a donor and a text, under a fresh directory.
func tree(t testing.TB) string {
	dir := t.TempDir()
	for _, d := range []string{"models/base", "models/base-instruct", "models/ft-a", "models/ft-b", "donor", "tok"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"tok/tokenizer.json", "heldout.txt", "models/README.md", "map.txt"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func parseIn(t testing.TB, dir, text string) (*File, error) {
	t.Helper()
	path := filepath.Join(dir, "jobs.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return ParseFile(path, testSchema)
}

// problems unpacks the errors Parse joined.
func problems(err error) []*Error {
	var out []*Error
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var pe *Error
		if errors.As(e, &pe) {
			out = append(out, pe)
		}
	}
	return out
}

func TestParseRefuses(t *testing.T) {
	type want struct {
		err  error
		line int
		text string // in the message
	}
	tests := []struct {
		name string
		yaml string
		want []want
	}{
		{"syntax: unclosed list", "jobs:\n  - base: models/base\n    out: [a\n", []want{{ErrSyntax, 3, "did not find expected ',' or ']'"}}},
		{"syntax: indentation", "jobs:\n  - base: models/base\n   out: b\n", []want{{ErrSyntax, 3, "did not find expected '-' indicator"}}},
		{"syntax: a list item in a mapping", "jobs:\n  - base: models/base\n    out: b\nmore: 1\n- c\n", []want{{ErrSyntax, 5, "did not find expected key"}}},
		{"syntax: error after a flow list", "jobs: [\n  {base: models/base,\n   out: b}]\nx: : y\n", []want{{ErrSyntax, 4, "mapping values are not allowed"}}},
		{"syntax: CRLF line ends", "jobs:\r\n  - base: models/base\r\n   out: b\r\n", []want{{ErrSyntax, 3, "did not find expected '-' indicator"}}},
		{"syntax: CR line ends", "jobs:\r  - base: models/base\r   out: b\r", []want{{ErrSyntax, 3, "did not find expected '-' indicator"}}},
		{"syntax: unterminated quote", "jobs:\n  - base: 'models\n", []want{{ErrSyntax, 2, "end of stream"}}},
		{"syntax: unknown anchor", "jobs:\n  - base: models/base\n    out: *nope\n", []want{{ErrSyntax, 3, "unknown anchor 'nope'"}}},
		{"syntax: mapping in a value", "jobs:\n  - base: models/base\n    out: a: b\n", []want{{ErrSyntax, 3, "mapping values are not allowed"}}},
		{"syntax: tab indent", "jobs:\n\t- base: x\n", []want{{ErrSyntax, 2, "tab"}}},
		{"empty file", "# nothing\n", []want{{ErrMissingKey, 0, "empty"}}},
		{"two documents", "jobs: []\n---\njobs: []\n", []want{{ErrSyntax, 2, "second YAML document"}}},
		{"root is a list", "- base: a\n", []want{{ErrType, 1, "want a mapping with jobs"}}},
		{"no jobs", "defaults: {method: omp}\n", []want{{ErrMissingKey, 1, "jobs"}}},
		{"jobs not a list", "jobs: {base: a}\n", []want{{ErrType, 1, "jobs: want a list"}}},
		{"empty jobs", "jobs: []\n", []want{{ErrMissingKey, 1, "empty"}}},
		{"unknown top-level key", "job:\n  - base: a\njobs:\n  - {base: models/base, out: o}\n", []want{{ErrUnknownKey, 1, `"job"`}}},
		{"unknown job key", "jobs:\n  - base: models/base\n    out: o\n    metod: omp\n", []want{{ErrUnknownKey, 4, `"metod"`}}},
		{"flag spelling", "jobs:\n  - base: models/base\n    out: o\n    head-method: omp\n", []want{{ErrUnknownKey, 4, "write head_method"}}},
		{"unknown default", "defaults:\n  tokeniser: tok\njobs:\n  - {base: models/base, out: o}\n", []want{{ErrUnknownKey, 2, `"tokeniser"`}}},
		{"unknown eval key", "jobs:\n  - base: models/base\n    out: o\n    eval: {text: heldout.txt, baseline: models/base, ppl: true}\n", []want{{ErrUnknownKey, 4, "eval.ppl"}}},
		{"every unknown key at once", "jobs:\n  - {base: models/base, out: a, foo: 1}\n  - {base: models/base, out: b, bar: 2}\n",
			[]want{{ErrUnknownKey, 2, `"foo"`}, {ErrUnknownKey, 3, `"bar"`}}},
		{"duplicate key", "jobs:\n  - base: models/base\n    out: a\n    out: b\n", []want{{ErrDuplicateKey, 4, "first at line 3"}}},
		{"base as mapping", "jobs:\n  - base: {a: b}\n    out: o\n", []want{{ErrType, 2, "base: want a single value, got a mapping"}}},
		{"bad option value", "jobs:\n  - base: models/base\n    out: o\n    k: many\n", []want{{ErrType, 4, `k: "many"`}}},
		{"bad method", "defaults: {method: magic}\njobs:\n  - {base: models/base, out: a}\n  - {base: models/base, out: b}\n", []want{{ErrType, 1, "want one of"}}},
		{"bool as string", "jobs:\n  - base: models/base\n    out: o\n    omp_normalize: yes\n", []want{{ErrType, 4, "want true or false"}}},
		{"list option as mapping", "jobs:\n  - base: models/base\n    out: o\n    map: {a: b}\n", []want{{ErrType, 4, "map: want a single value"}}},
		{"shards zero", "jobs:\n  - base: models/base\n    out: o\n    shards: 0\n", []want{{ErrType, 4, "positive integer"}}},
		{"shards text", "jobs:\n  - base: models/base\n    out: o\n    shards: four\n", []want{{ErrType, 4, "positive integer"}}},
		{"no base", "jobs:\n  - out: o\n", []want{{ErrMissingKey, 2, "base"}}},
		{"no out", "jobs:\n  - base: models/base\n", []want{{ErrMissingKey, 2, "out"}}},
		{"null unsets out", "defaults: {out: o}\njobs:\n  - base: models/base\n    out: ~\n", []want{{ErrMissingKey, 3, "out"}}},
		{"baseline without text", "jobs:\n  - base: models/base\n    out: o\n    eval: {baseline: models/base}\n", []want{{ErrMissingKey, 4, "eval.text"}}},
		{"two bases, one out", "jobs:\n  - base: [models/base, models/ft-a]\n    out: out/x\n", []want{{ErrAmbiguousOut, 3, "{base}"}}},
		{"a glob, one out", "jobs:\n  - base: models/ft-*\n    out: out/x\n", []want{{ErrAmbiguousOut, 3, "{base}"}}},
		{"bad glob", "jobs:\n  - base: 'models/[a'\n    out: out/{base}\n", []want{{ErrType, 2, "syntax error in pattern"}}},
		{"same output", "jobs:\n  - {base: models/base, out: out/a}\n  - {base: models/ft-a, out: ./out/../out/a}\n", []want{{ErrDuplicateOut, 3, "job at line 2"}}},
		{"same output from a placeholder", "defaults: {out: 'out/{base}'}\njobs:\n  - base: models/ft-*\n  - base: [models/base, models/ft-b]\n",
			[]want{{ErrDuplicateOut, 4, "out/ft-b is also the output of the job at line 3"}}},
		{"a key that is a list", "jobs:\n  - {base: models/base, out: o, [a]: b}\n", []want{{ErrType, 2, "a key must be a name"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := parseIn(t, tree(t), tt.yaml)
			if err == nil {
				t.Fatalf("parsed %d jobs, want an error", len(f.Jobs))
			}
			got := problems(err)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d problems, want %d:\n%v", len(got), len(tt.want), err)
			}
			for i, w := range tt.want {
				g := got[i]
				if !errors.Is(g, w.err) || g.Line != w.line || !strings.Contains(g.Error(), w.text) {
					t.Errorf("problem %d: %v\nwant %v at line %d containing %q", i, g, w.err, w.line, w.text)
				}
				if !strings.HasPrefix(g.Error(), filepath.Join(g.File)) || !strings.HasSuffix(g.File, "jobs.yaml") {
					t.Errorf("problem %d does not name the file: %v", i, g)
				}
			}
		})
	}
}

func TestParseJobErrors(t *testing.T) {
	// A job whose inputs are missing fails alone: the file parses and the
	// other jobs have no error.
	dir := tree(t)
	f, err := parseIn(t, dir, `
defaults:
  tokenizer: tok
jobs:
  - {base: models/base, out: out/ok}
  - {base: models/missing, out: out/no-base}
  - {base: models/base, donor: no-donor, out: out/no-donor}
  - {base: models/base, out: out/no-text, eval: {text: missing.txt}}
  - {base: "models/zz-*", out: "out/{base}"}
  - {base: models/base, tokenizer: no-tok, out: out/no-tok}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		err  error
		text string
	}{
		{nil, ""},
		{ErrMissingInput, "base models/missing: no such file"},
		{ErrMissingInput, "donor no-donor"},
		{ErrMissingInput, "eval.text missing.txt"},
		{ErrNoMatch, `"models/zz-*"`},
		{ErrMissingInput, "tokenizer no-tok"},
	}
	if len(f.Jobs) != len(want) {
		t.Fatalf("got %d jobs, want %d", len(f.Jobs), len(want))
	}
	for i, w := range want {
		j := f.Jobs[i]
		if w.err == nil {
			if j.Err != nil {
				t.Errorf("job %d: %v", i, j.Err)
			}
			continue
		}
		if !errors.Is(j.Err, w.err) || !strings.Contains(j.Err.Error(), w.text) {
			t.Errorf("job %d: error %v, want %v with %q", i, j.Err, w.err, w.text)
		}
		var pe *Error
		if !errors.As(j.Err, &pe) || pe.Line != j.Line || j.Line == 0 {
			t.Errorf("job %d: error %v does not name line %d", i, j.Err, j.Line)
		}
	}
	if !errors.Is(f.Jobs[1].Err, fs.ErrNotExist) {
		t.Errorf("a missing base should wrap fs.ErrNotExist: %v", f.Jobs[1].Err)
	}
}

func TestParseJobs(t *testing.T) {
	dir := tree(t)
	abs := func(p string) string { return filepath.Join(dir, p) }
	f, err := parseIn(t, dir, `
dir: state
defaults: &d
  tokenizer: tok
  method: omp
  eval: {text: heldout.txt}
  map: ["<s>=<|begin|>"]
jobs:
  # defaults, job wins, relative and absolute paths, path options
  - base: models/base
    donor: `+abs("donor")+`
    out: out/base
    k: 8
    map_file: map.txt
    eval: {baseline: models/base}
  # a glob: directories only, sorted; {base} in out and baseline
  - base: "models/ft-*"
    out: "out/{base}"
    method: subword
    eval: {baseline: "models/{base}"}
  # a list of bases; null unsets a default; omp_normalize a bool
  - base: [models/base-instruct, models/base]
    out: "out/{base}-2"
    eval: ~
    omp_normalize: true
    map: ["a=b", "c=d"]
  # merge keys
  - <<: *d
    base: models/ft-a
    out: out/merged
    shards: 3
`)
	if err != nil {
		t.Fatal(err)
	}
	want := []*Job{
		{Line: 10, Base: abs("models/base"), Tokenizer: abs("tok"), Donor: abs("donor"), Out: abs("out/base"),
			Eval:    &Eval{Text: abs("heldout.txt"), Baseline: abs("models/base")},
			Options: map[string][]string{"method": {"omp"}, "k": {"8"}, "map-file": {abs("map.txt")}, "map": {"<s>=<|begin|>"}}},
		{Line: 17, Base: abs("models/ft-a"), Tokenizer: abs("tok"), Out: abs("out/ft-a"),
			Eval:    &Eval{Text: abs("heldout.txt"), Baseline: abs("models/ft-a")},
			Options: map[string][]string{"method": {"subword"}, "map": {"<s>=<|begin|>"}}},
		{Line: 17, Base: abs("models/ft-b"), Tokenizer: abs("tok"), Out: abs("out/ft-b"),
			Eval:    &Eval{Text: abs("heldout.txt"), Baseline: abs("models/ft-b")},
			Options: map[string][]string{"method": {"subword"}, "map": {"<s>=<|begin|>"}}},
		{Line: 22, Base: abs("models/base-instruct"), Tokenizer: abs("tok"), Out: abs("out/base-instruct-2"),
			Options: map[string][]string{"method": {"omp"}, "omp-normalize": {"true"}, "map": {"a=b", "c=d"}}},
		{Line: 22, Base: abs("models/base"), Tokenizer: abs("tok"), Out: abs("out/base-2"),
			Options: map[string][]string{"method": {"omp"}, "omp-normalize": {"true"}, "map": {"a=b", "c=d"}}},
		{Line: 28, Base: abs("models/ft-a"), Tokenizer: abs("tok"), Out: abs("out/merged"), Shards: 3,
			Eval:    &Eval{Text: abs("heldout.txt")},
			Options: map[string][]string{"method": {"omp"}, "map": {"<s>=<|begin|>"}}},
	}
	if f.Dir != abs("state") {
		t.Errorf("Dir = %s, want %s", f.Dir, abs("state"))
	}
	if len(f.Jobs) != len(want) {
		t.Fatalf("got %d jobs, want %d", len(f.Jobs), len(want))
	}
	for i, w := range want {
		g := *f.Jobs[i]
		if g.ID == "" || g.Err != nil {
			t.Errorf("job %d: ID %q, Err %v", i, g.ID, g.Err)
		}
		g.ID, w.ID = "", ""
		if !reflect.DeepEqual(&g, w) {
			t.Errorf("job %d:\n got %+v %+v\nwant %+v %+v", i, g, g.Eval, *w, w.Eval)
		}
	}
	args := f.Jobs[3].Args()
	wantArgs := []string{"--base=" + abs("models/base-instruct"), "--tokenizer=" + abs("tok"), "--out=" + abs("out/base-instruct-2"),
		"--map=a=b", "--map=c=d", "--method=omp", "--omp-normalize=true"}
	if !slices.Equal(args, wantArgs) {
		t.Errorf("Args() = %q\nwant %q", args, wantArgs)
	}
}

func TestParseDefaultDir(t *testing.T) {
	dir := tree(t)
	f, err := parseIn(t, dir, "jobs: [{base: models/base, out: o}]\n")
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "jobs.batch"); f.Dir != want {
		t.Errorf("Dir = %s, want %s", f.Dir, want)
	}
}

// Job IDs must be the same on every node, wherever the shared tree is
// mounted, and stay when other jobs are added.
func TestJobIDsStable(t *testing.T) {
	text := "jobs:\n  - {base: models/base, out: out/a}\n  - {base: models/ft-a, out: out/b}\n"
	f1, err := parseIn(t, tree(t), text)
	if err != nil {
		t.Fatal(err)
	}
	f2, err := parseIn(t, tree(t), "jobs:\n  - {base: models/ft-b, out: out/new}\n"+strings.TrimPrefix(text, "jobs:\n"))
	if err != nil {
		t.Fatal(err)
	}
	if f1.Jobs[0].ID != f2.Jobs[1].ID || f1.Jobs[1].ID != f2.Jobs[2].ID || f1.Jobs[0].ID == f1.Jobs[1].ID {
		t.Errorf("IDs %s %s, then %s %s", f1.Jobs[0].ID, f1.Jobs[1].ID, f2.Jobs[1].ID, f2.Jobs[2].ID)
	}
	if !strings.HasPrefix(f1.Jobs[0].ID, "a-") {
		t.Errorf("ID %s should start with the output's name", f1.Jobs[0].ID)
	}
}

func TestSchemaFromFlags(t *testing.T) {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.String("base", "", "")
	fs.String("out", "", "")
	fs.String("method", "subword", "")
	fs.Int("k", 0, "")
	fs.Bool("omp-normalize", false, "")
	fs.StringArray("map", nil, "")
	fs.String("map-file", "", "")
	fs.Bool("dry-run", false, "")
	s := SchemaFromFlags(fs)
	s.Remove("dry-run")
	s.MarkPath("map-file", "not-a-flag")
	kinds := map[string]Kind{}
	for n, o := range s {
		kinds[n] = o.Kind
	}
	want := map[string]Kind{"method": Value, "k": Value, "omp-normalize": Bool, "map": List, "map-file": Value}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("kinds %v, want %v", kinds, want)
	}
	if !s["map-file"].Path || s["map"].Path {
		t.Error("MarkPath marked the wrong options")
	}
	dir := tree(t)
	path := filepath.Join(dir, "jobs.yaml")
	_, err := Parse(path, []byte("jobs:\n  - {base: models/base, out: o, k: eight}\n"), s)
	if !errors.Is(err, ErrType) || !strings.Contains(err.Error(), "jobs.yaml:2: ") {
		t.Errorf("a value the flag refuses: %v", err)
	}
}
