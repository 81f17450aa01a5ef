package batch

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Errors in a job file. Each comes wrapped in an [*Error] that names the
// file and line. ErrMissingInput and ErrNoMatch are errors of one job
// ([Job.Err]); the others refuse the whole file.
var (
	ErrSyntax       = errors.New("syntax error")
	ErrUnknownKey   = errors.New("unknown key")
	ErrDuplicateKey = errors.New("duplicate key")
	ErrType         = errors.New("wrong type")
	ErrMissingKey   = errors.New("missing key")
	ErrAmbiguousOut = errors.New("several bases, one output")
	ErrDuplicateOut = errors.New("duplicate output")
	ErrMissingInput = errors.New("missing input")
	ErrNoMatch      = errors.New("no base matches")
)

// An Error is a problem at a line of a job file.
type Error struct {
	File string // the job file as it was named to Parse
	Line int    // 1-based; 0 when unknown
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// A File is a parsed job file.
type File struct {
	Path string // absolute path of the job file
	// Dir is the state directory: recipes, unit records, batch.json and
	// batch.md. The `dir` key sets it; by default it is STEM.batch beside
	// the job file (jobs.yaml: jobs.batch). Change it before [NewPlan].
	Dir  string
	Jobs []*Job // in file order, one per base

	name string // as named to Parse, for messages
}

// A Job is one transplant: one base onto one tokenizer, written to Out.
// Paths are absolute and clean.
type Job struct {
	// ID names the job in unit names and records. It derives from Out
	// relative to the job file, so it is the same on every node that
	// mounts the tree, and stays when jobs are added or reordered.
	ID        string
	Line      int // where the job's entry starts in the job file
	Base      string
	Tokenizer string // "" when the file sets none (the donor's)
	Donor     string
	Out       string
	Eval      *Eval // nil: no evaluation
	// Shards splits the solve this job shares into that many pieces that
	// array tasks solve apart; 0 or 1 does not split.
	Shards int
	// Options holds the other run options by flag name, values as written
	// (a Bool as "true" or "false"; paths resolved).
	Options map[string][]string
	// Err says why this job cannot run (a missing input, a base pattern
	// that matches nothing, or the grouping key's error); the others run.
	Err error
}

// Eval asks for the transplanted model to be scored.
type Eval struct {
	Text     string // text to score
	Baseline string // model to compare with; "" for none
}

// Args returns the job as `transplant run` flags, --name=value, options
// in name order, so a command can parse them with its own flag set.
func (j *Job) Args() []string {
	var args []string
	add := func(name, v string) { args = append(args, "--"+name+"="+v) }
	add("base", j.Base)
	for _, kv := range [][2]string{{"tokenizer", j.Tokenizer}, {"donor", j.Donor}, {"out", j.Out}} {
		if kv[1] != "" {
			add(kv[0], kv[1])
		}
	}
	names := make([]string, 0, len(j.Options))
	for n := range j.Options {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		for _, v := range j.Options[n] {
			add(n, v)
		}
	}
	return args
}

// ParseFile reads and parses a job file; see [Parse].
func ParseFile(path string, schema Schema) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	return Parse(path, data, schema)
}

// Parse parses the job file data read from path, which names the file in
// errors and anchors relative paths. Options not in schema are refused. It
// returns every problem of the file at once (joined [*Error]s), before
// anything runs; problems of one job only (missing inputs, a base pattern
// without a match) are left in that [Job.Err].
func Parse(path string, data []byte, schema Schema) (*File, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("batch: %w", err)
	}
	p := &parser{file: path, dir: filepath.Dir(abs), schema: schema}
	stem := strings.TrimSuffix(filepath.Base(abs), filepath.Ext(abs))
	f := &File{Path: abs, name: path, Dir: filepath.Join(p.dir, stem+".batch")}
	if err := p.parse(data, f); err != nil {
		return nil, err
	}
	p.checkOutputs(f.Jobs)
	if len(p.errs) > 0 {
		return nil, errors.Join(p.problems()...)
	}
	return f, nil
}

// problems returns the errors collected, by line, each once: a bad default
// would otherwise be reported for every job.
func (p *parser) problems() []error {
	slices.SortStableFunc(p.errs, func(a, b error) int {
		var ea, eb *Error
		errors.As(a, &ea)
		errors.As(b, &eb)
		return ea.Line - eb.Line
	})
	return slices.CompactFunc(p.errs, func(a, b error) bool { return a.Error() == b.Error() })
}

// A spec is one job entry with the defaults merged in, decoded but not
// yet expanded over its bases.
type spec struct {
	line                   int
	bases                  []string
	basesLine              int
	tokenizer, donor, out  string
	outLine                int
	evalText, evalBaseline string
	shards                 int
	options                map[string][]string
}

// expand turns a spec into one job per base.
func (p *parser) expand(s *spec) []*Job {
	multi := len(s.bases) > 1
	for _, b := range s.bases {
		multi = multi || isPattern(b)
	}
	if multi && !strings.Contains(s.out, "{base}") {
		p.fail(s.outLine, ErrAmbiguousOut, "out %q needs {base} (the base directory's name)", s.out)
		return nil
	}
	var jobs []*Job
	for _, pattern := range s.bases {
		bases, err := p.glob(pattern)
		if err != nil {
			p.fail(s.basesLine, ErrType, "base %q: %v", pattern, err)
			continue
		}
		if bases == nil {
			err := &Error{File: p.file, Line: s.line, Err: fmt.Errorf("%w %q", ErrNoMatch, pattern)}
			jobs = append(jobs, &Job{ID: fmt.Sprintf("line%d", s.line), Line: s.line, Base: p.resolve(pattern), Out: p.resolve(s.out), Err: err})
			continue
		}
		for _, b := range bases {
			jobs = append(jobs, p.job(s, b))
		}
	}
	return jobs
}

// job makes the job of spec s for one base, checking that its inputs
// exist.
func (p *parser) job(s *spec, base string) *Job {
	name := filepath.Base(base)
	path := func(v string) string {
		if v == "" {
			return ""
		}
		return p.resolve(strings.ReplaceAll(v, "{base}", name))
	}
	j := &Job{
		Line: s.line, Base: base, Tokenizer: path(s.tokenizer), Donor: path(s.donor),
		Out: path(s.out), Shards: s.shards, Options: map[string][]string{},
	}
	if s.evalText != "" {
		j.Eval = &Eval{Text: path(s.evalText), Baseline: path(s.evalBaseline)}
	}
	for n, vs := range s.options {
		if p.schema[n].Path {
			vs = slices.Clone(vs)
			for i := range vs {
				vs[i] = path(vs[i])
			}
		}
		j.Options[n] = vs
	}
	j.ID = p.jobID(j.Out)
	inputs := [][2]string{{"base", j.Base}, {"tokenizer", j.Tokenizer}, {"donor", j.Donor}}
	if j.Eval != nil {
		inputs = append(inputs, [2]string{"eval.text", j.Eval.Text}, [2]string{"eval.baseline", j.Eval.Baseline})
	}
	for _, in := range inputs {
		if in[1] == "" {
			continue
		}
		if _, err := os.Stat(in[1]); err != nil {
			j.Err = &Error{File: p.file, Line: s.line, Err: fmt.Errorf("%w: %s %s: %w", ErrMissingInput, in[0], p.rel(in[1]), unwrapPath(err))}
			break
		}
	}
	return j
}

// glob expands a base pattern to the directories it matches, sorted; a
// plain path is returned as it is, whether or not it exists.
func (p *parser) glob(pattern string) ([]string, error) {
	path := p.resolve(pattern)
	if !isPattern(pattern) {
		return []string{path}, nil
	}
	matches, err := filepath.Glob(path)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.IsDir() {
			dirs = append(dirs, m)
		}
	}
	slices.Sort(dirs)
	return dirs, nil
}

func isPattern(s string) bool { return strings.ContainsAny(s, "*?[") }

// resolve makes a path of the job file absolute against its directory.
func (p *parser) resolve(v string) string {
	if !filepath.IsAbs(v) {
		v = filepath.Join(p.dir, v)
	}
	return filepath.Clean(v)
}

// rel shows a path relative to the job file when it is inside its tree.
func (p *parser) rel(path string) string {
	if r, err := filepath.Rel(p.dir, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}

// jobID is a readable, file-system-safe name for the job writing out,
// unique because outputs are.
func (p *parser) jobID(out string) string {
	sum := sha256.Sum256([]byte(filepath.ToSlash(p.rel(out))))
	name := []byte(filepath.Base(out))
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			name[i] = '_'
		}
	}
	return string(name) + "-" + hex.EncodeToString(sum[:4])
}

// checkOutputs refuses two jobs writing one directory.
func (p *parser) checkOutputs(jobs []*Job) {
	first := map[string]*Job{}
	for _, j := range jobs {
		if errors.Is(j.Err, ErrNoMatch) {
			continue
		}
		if prev, ok := first[j.Out]; ok {
			p.fail(j.Line, ErrDuplicateOut, "%s is also the output of the job at line %d", p.rel(j.Out), prev.Line)
			continue
		}
		first[j.Out] = j
	}
}

// unwrapPath drops the *PathError's own operation and path, which the
// caller's message already names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
