package batch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// parser walks a job file's YAML nodes, so that every problem can name its
// line, and collects the problems instead of stopping at the first.
type parser struct {
	file   string // as named to Parse, for messages
	dir    string // absolute directory of the job file
	schema Schema
	errs   []error
}

func (p *parser) fail(line int, sentinel error, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Err: fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))})
}

// parse fills f from the job file's one YAML document.
func (p *parser) parse(data []byte, f *File) error {
	root, err := p.document(data)
	if err != nil {
		return err
	}
	var defaults, jobs *yaml.Node
	for _, kv := range p.pairs(root, 0) {
		switch kv.key {
		case "defaults":
			defaults = kv.val
		case "jobs":
			jobs = kv.val
		case "dir":
			if s, ok := p.scalar("dir", kv.val); ok {
				f.Dir = p.resolve(s)
			}
		default:
			p.fail(kv.line, ErrUnknownKey, "%q (a job file has defaults, jobs and dir)", kv.key)
		}
	}
	if jobs == nil {
		p.fail(root.Line, ErrMissingKey, "jobs")
		return nil
	}
	var def entry
	if defaults != nil {
		def = p.entry(defaults)
	}
	items := deref(jobs)
	if items.Kind != yaml.SequenceNode {
		p.fail(items.Line, ErrType, "jobs: want a list, got %s", describe(items))
		return nil
	}
	for _, item := range items.Content {
		e := p.entry(item)
		merged := entry{}
		for k, v := range def {
			merged[k] = v
		}
		for k, v := range e {
			merged[k] = v
		}
		if s := p.spec(deref(item).Line, merged); s != nil {
			f.Jobs = append(f.Jobs, p.expand(s)...)
		}
	}
	if len(items.Content) == 0 {
		p.fail(items.Line, ErrMissingKey, "jobs: the list is empty")
	}
	return nil
}

// document returns the mapping at the root of the file's one document.
func (p *parser) document(data []byte) (*yaml.Node, error) {
	doc, extra, err := decode(data)
	switch {
	case err != nil:
		return nil, p.syntaxError(data, err)
	case extra != nil:
		return nil, &Error{File: p.file, Line: extra.Line, Err: fmt.Errorf("%w: a second YAML document", ErrSyntax)}
	case doc == nil || len(doc.Content) == 0 || isNull(doc.Content[0]):
		return nil, &Error{File: p.file, Err: fmt.Errorf("%w: jobs (the file is empty)", ErrMissingKey)}
	}
	root := deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, &Error{File: p.file, Line: root.Line, Err: fmt.Errorf("%w: want a mapping with jobs, got %s", ErrType, describe(root))}
	}
	return root, nil
}

// decode returns the first YAML document of data and the start of a
// second one, if any.
func decode(data []byte) (doc, extra *yaml.Node, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	doc, extra = new(yaml.Node), new(yaml.Node)
	if err := dec.Decode(doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	if err := dec.Decode(extra); err != nil {
		if errors.Is(err, io.EOF) {
			return doc, nil, nil
		}
		return nil, nil, err
	}
	return doc, extra, nil
}

// maxPrefixLines bounds the search for a syntax error's line.
const maxPrefixLines = 5000

// syntaxError names the line of a YAML syntax error. The YAML module's
// message names the line where the construct holding the error began,
// counted from 0 for some errors and from 1 for others, so the line is
// found instead as the first prefix of the file, whole lines, that fails
// with the same message (prefixes that only fail for being cut short
// fail differently).
func (p *parser) syntaxError(data []byte, err error) error {
	msg := yamlMessage(err)
	line := 0
	if ends := lineEnds(data); len(ends) <= maxPrefixLines {
		for i, end := range ends {
			if _, _, perr := decode(data[:end]); perr != nil && yamlMessage(perr) == msg {
				line = i + 1
				break
			}
		}
	}
	return &Error{File: p.file, Line: line, Err: fmt.Errorf("%w: %s", ErrSyntax, msg)}
}

// lineEnds returns the offset after each line of data, lines ending as
// YAML ends them: at \n, \r, \r\n, NEL, LS or PS. The last line ends at
// the end of data.
func lineEnds(data []byte) []int {
	var ends []int
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\r' && i+1 < len(data) && data[i+1] == '\n':
			i++
		case data[i] == '\n', data[i] == '\r':
		case bytes.HasPrefix(data[i:], []byte("\u0085")):
			i++
		case bytes.HasPrefix(data[i:], []byte("\u2028")), bytes.HasPrefix(data[i:], []byte("\u2029")):
			i += 2
		default:
			continue
		}
		ends = append(ends, i+1)
	}
	if len(ends) == 0 || ends[len(ends)-1] < len(data) {
		ends = append(ends, len(data))
	}
	return ends
}

// yamlMessage strips the YAML module's prefix and line from its message
// ("yaml: line 3: did not find expected key").
func yamlMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			if _, err := strconv.Atoi(n); err == nil {
				return tail
			}
		}
	}
	return msg
}

// An entry is one job mapping (or the defaults), keyed by job key or flag
// name; eval's fields are flattened to "eval.text" and "eval.baseline" so
// that defaults merge field by field. A null value unsets a default.
type entry map[string]*yaml.Node

func (p *parser) entry(n *yaml.Node) entry {
	e := entry{}
	for _, kv := range p.pairs(n, 0) {
		switch name := strings.ReplaceAll(kv.key, "_", "-"); {
		case kv.key == "eval":
			v := deref(kv.val)
			if isNull(v) {
				e["eval.text"], e["eval.baseline"] = v, v
				continue
			}
			for _, sub := range p.pairs(v, 0) {
				if sub.key != "text" && sub.key != "baseline" {
					p.fail(sub.line, ErrUnknownKey, "eval.%s (eval has text and baseline)", sub.key)
					continue
				}
				e["eval."+sub.key] = sub.val
			}
		case jobKeys[kv.key]:
			e[kv.key] = kv.val
		case strings.Contains(kv.key, "-") && p.known(kv.key):
			p.fail(kv.line, ErrUnknownKey, "%q (write %s)", kv.key, strings.ReplaceAll(kv.key, "-", "_"))
		case !p.known(name) || strings.Contains(kv.key, "-"):
			p.fail(kv.line, ErrUnknownKey, "%q", kv.key)
		default:
			e[name] = kv.val
		}
	}
	return e
}

func (p *parser) known(name string) bool {
	_, ok := p.schema[name]
	return ok && !jobKeys[name]
}

// spec decodes a merged entry.
func (p *parser) spec(line int, e entry) *spec {
	s := &spec{line: line, options: map[string][]string{}}
	nerrs := len(p.errs)
	set := func(key string) (*yaml.Node, bool) {
		v, ok := e[key]
		return v, ok && !isNull(deref(v))
	}
	if v, ok := set("base"); ok {
		s.bases, s.basesLine = p.list("base", v, nil), deref(v).Line
	} else {
		p.fail(line, ErrMissingKey, "base")
	}
	if v, ok := set("out"); ok {
		s.out, _ = p.scalar("out", v)
		s.outLine = deref(v).Line
	} else {
		p.fail(line, ErrMissingKey, "out")
	}
	for _, f := range []struct {
		key string
		dst *string
	}{{"tokenizer", &s.tokenizer}, {"donor", &s.donor}, {"eval.text", &s.evalText}, {"eval.baseline", &s.evalBaseline}} {
		if v, ok := set(f.key); ok {
			*f.dst, _ = p.scalar(f.key, v)
		}
	}
	if v, ok := set("eval.baseline"); ok && s.evalText == "" {
		p.fail(deref(v).Line, ErrMissingKey, "eval.text (eval has a baseline but no text)")
	}
	if v, ok := set("shards"); ok {
		s.shards = p.count("shards", v)
	}
	for _, name := range slices.Sorted(maps.Keys(e)) {
		v := e[name]
		if strings.Contains(name, ".") || jobKeys[name] || isNull(deref(v)) {
			continue
		}
		if vs := p.option(name, v); vs != nil {
			s.options[name] = vs
		}
	}
	if len(p.errs) > nerrs {
		return nil
	}
	return s
}

// option decodes one run option's value by its kind.
func (p *parser) option(name string, v *yaml.Node) []string {
	o := p.schema[name]
	key := strings.ReplaceAll(name, "-", "_")
	switch o.Kind {
	case Bool:
		n := deref(v)
		b, err := strconv.ParseBool(n.Value)
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || err != nil {
			p.fail(n.Line, ErrType, "%s: want true or false, got %s", key, describe(n))
			return nil
		}
		return []string{strconv.FormatBool(b)}
	case List:
		return p.list(key, v, o.Check)
	default:
		s, ok := p.scalar(key, v)
		if !ok || !p.check(key, deref(v).Line, s, o.Check) {
			return nil
		}
		return []string{s}
	}
}

// list decodes a scalar or a list of scalars.
func (p *parser) list(key string, v *yaml.Node, check func(string) error) []string {
	n := deref(v)
	items := []*yaml.Node{n}
	if n.Kind == yaml.SequenceNode {
		items = n.Content
		if len(items) == 0 {
			p.fail(n.Line, ErrType, "%s: the list is empty", key)
		}
	}
	var out []string
	for _, it := range items {
		if s, ok := p.scalar(key, it); ok && p.check(key, deref(it).Line, s, check) {
			out = append(out, s)
		}
	}
	return out
}

func (p *parser) check(key string, line int, s string, check func(string) error) bool {
	if check == nil {
		return true
	}
	if err := check(s); err != nil {
		p.fail(line, ErrType, "%s: %q: %v", key, s, err)
		return false
	}
	return true
}

// scalar decodes a non-null scalar as written.
func (p *parser) scalar(key string, v *yaml.Node) (string, bool) {
	n := deref(v)
	if n.Kind != yaml.ScalarNode || isNull(n) {
		p.fail(n.Line, ErrType, "%s: want a single value, got %s", key, describe(n))
		return "", false
	}
	return n.Value, true
}

// count decodes a positive integer.
func (p *parser) count(key string, v *yaml.Node) int {
	n := deref(v)
	i, err := strconv.ParseInt(n.Value, 0, 32)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || err != nil || i < 1 {
		p.fail(n.Line, ErrType, "%s: want a positive integer, got %s", key, describe(n))
		return 0
	}
	return int(i)
}

// A pair is one key and value of a mapping.
type pair struct {
	key  string
	line int
	val  *yaml.Node
}

// pairs returns a mapping's keys and values, with YAML merge keys (<<)
// applied: keys of the mapping win over merged ones, earlier merged
// mappings over later ones. A key given twice is refused.
func (p *parser) pairs(v *yaml.Node, depth int) []pair {
	n := deref(v)
	if n.Kind != yaml.MappingNode {
		p.fail(n.Line, ErrType, "want a mapping, got %s", describe(n))
		return nil
	}
	var own, merged []pair
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := deref(n.Content[i]), n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, p.merge(val, depth)...)
			continue
		}
		if k.Kind != yaml.ScalarNode || isNull(k) {
			p.fail(k.Line, ErrType, "a key must be a name, got %s", describe(k))
			continue
		}
		if line, ok := seen[k.Value]; ok {
			p.fail(k.Line, ErrDuplicateKey, "%q, first at line %d", k.Value, line)
			continue
		}
		seen[k.Value] = k.Line
		own = append(own, pair{key: k.Value, line: k.Line, val: val})
	}
	for _, kv := range merged {
		if _, ok := seen[kv.key]; !ok {
			seen[kv.key] = kv.line
			own = append(own, kv)
		}
	}
	return own
}

// merge returns the pairs a merge key's value brings: one mapping or a
// list of them.
func (p *parser) merge(v *yaml.Node, depth int) []pair {
	n := deref(v)
	if depth > 8 {
		p.fail(n.Line, ErrType, "merge keys nested too deep")
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return p.pairs(n, depth+1)
	}
	var out []pair
	for _, m := range n.Content {
		out = append(out, p.pairs(m, depth+1)...)
	}
	return out
}

// deref follows aliases to the node they name. yaml's parser only lets an
// alias name an anchor defined before it, but a bound keeps a malformed
// tree from looping.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 16; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// describe names a node's kind for messages.
func describe(n *yaml.Node) string {
	switch {
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case isNull(n):
		return "nothing"
	case n.Kind == yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "an alias"
}
