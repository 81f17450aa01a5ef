package batch

import (
	"strings"

	"github.com/spf13/pflag"
)

// Kind says how a run option takes its value in a job file.
type Kind int

const (
	// Value options take one scalar: `k: 8`, `omp_memory: 2GiB`.
	Value Kind = iota
	// Bool options take true or false.
	Bool
	// List options (repeatable flags) take a scalar or a list of scalars.
	List
)

// An Option is a run option that a job may set.
type Option struct {
	Kind Kind
	// Path marks options whose values are paths: they are resolved against
	// the job file's directory and may use the {base} placeholder.
	Path bool
	// Check, when set, validates one value, so that a bad value is refused
	// with its line before anything runs.
	Check func(value string) error
}

// A Schema holds the run options a job file may set, keyed by flag name
// ("head-method"); job files spell them with '_' for '-' ("head_method").
// The job keys base, tokenizer, donor, out, eval and shards belong to the
// batch package and are never looked up here.
type Schema map[string]Option

// SchemaFromFlags returns a schema with every flag of fs but help and the
// job keys the batch package owns (base, tokenizer, donor, out). Boolean
// flags become [Bool] options, flags of type "…Array" or "…Slice" [List]
// options, the rest [Value] options. Each option's Check sets the flag, so
// pass a flag set made for the purpose (a new `run` command's), never one
// that will be parsed.
func SchemaFromFlags(fs *pflag.FlagSet) Schema {
	s := Schema{}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" || jobKeys[f.Name] {
			return
		}
		kind := Value
		switch t := f.Value.Type(); {
		case t == "bool":
			kind = Bool
		case strings.HasSuffix(t, "Array"), strings.HasSuffix(t, "Slice"):
			kind = List
		}
		s[f.Name] = Option{Kind: kind, Check: f.Value.Set}
	})
	return s
}

// Remove drops options a job file must not set (--dry-run, --json, …).
func (s Schema) Remove(names ...string) {
	for _, n := range names {
		delete(s, n)
	}
}

// MarkPath marks options whose values are paths (--map-file, …). Names
// not in s are ignored.
func (s Schema) MarkPath(names ...string) {
	for _, n := range names {
		if o, ok := s[n]; ok {
			o.Path = true
			s[n] = o
		}
	}
}

// jobKeys are the keys of a job that the batch package reads itself, by
// flag name.
var jobKeys = map[string]bool{
	"base": true, "tokenizer": true, "donor": true, "out": true, "eval": true, "shards": true,
}
