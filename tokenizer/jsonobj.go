package tokenizer

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// object is one JSON object of a tokenizer file together with its JSON
// path, so that every error can say where in the file it is.
type object struct {
	path string
	m    map[string]json.RawMessage
}

func parseObject(raw json.RawMessage, path string) (object, error) {
	if m, ok := skimObject(raw); ok {
		return object{path: path, m: m}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return object{}, formatErr(path, "want a JSON object, have %s", describeJSON(raw))
	}
	return object{path: path, m: m}, nil
}

// describeJSON names the kind of a JSON value for error messages.
func describeJSON(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func indexPath(path string, i int) string { return fmt.Sprintf("%s[%d]", path, i) }

func (o object) at(key string) string { return joinPath(o.path, key) }

// null reports whether key is absent or JSON null.
func (o object) null(key string) bool {
	raw, ok := o.m[key]
	return !ok || bytes.Equal(bytes.TrimSpace(raw), []byte("null"))
}

func (o object) decode(key string, v any, want string) error {
	if err := json.Unmarshal(o.m[key], v); err != nil {
		return formatErr(o.at(key), "want %s, have %s", want, describeJSON(o.m[key]))
	}
	return nil
}

// str returns a required string field.
func (o object) str(key string) (string, error) {
	if o.null(key) {
		return "", formatErr(o.at(key), "missing string field")
	}
	var s string
	return s, o.decode(key, &s, "a string")
}

// optStr returns a string field, or def when it is absent or null.
func (o object) optStr(key, def string) (string, error) {
	if o.null(key) {
		return def, nil
	}
	return o.str(key)
}

// optBool returns a boolean field, or def when it is absent or null.
func (o object) optBool(key string, def bool) (bool, error) {
	if o.null(key) {
		return def, nil
	}
	var b bool
	return b, o.decode(key, &b, "a boolean")
}

// optInt returns a non-negative integer field, or def when absent or null.
func (o object) optInt(key string, def int) (int, error) {
	if o.null(key) {
		return def, nil
	}
	var n int
	if err := o.decode(key, &n, "an integer"); err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, formatErr(o.at(key), "negative value %d", n)
	}
	return n, nil
}

// array returns the elements of a required array field.
func (o object) array(key string) ([]json.RawMessage, error) {
	if o.null(key) {
		return nil, formatErr(o.at(key), "missing array field")
	}
	var a []json.RawMessage
	return a, o.decode(key, &a, "an array")
}

// child parses a required object field.
func (o object) child(key string) (object, error) {
	if o.null(key) {
		return object{}, formatErr(o.at(key), "missing object field")
	}
	return parseObject(o.m[key], o.at(key))
}

// typeName returns the "type" field, and false when the object has none
// (legacy files).
func (o object) typeName() (string, bool, error) {
	if o.null("type") {
		return "", false, nil
	}
	t, err := o.str("type")
	return t, true, err
}

// charField returns a field holding exactly one character.
func (o object) charField(key string, def rune) (rune, error) {
	if o.null(key) {
		return def, nil
	}
	s, err := o.str(key)
	if err != nil {
		return 0, err
	}
	r := []rune(s)
	if len(r) != 1 {
		return 0, formatErr(o.at(key), "want a single character, have %q", s)
	}
	return r[0], nil
}

// pattern reads a {"String": s} or {"Regex": r} pattern object.
func (o object) pattern(key string) (literal string, regex string, isRegex bool, err error) {
	p, err := o.child(key)
	if err != nil {
		return "", "", false, err
	}
	switch {
	case !p.null("String"):
		s, err := p.str("String")
		return s, "", false, err
	case !p.null("Regex"):
		r, err := p.str("Regex")
		return "", r, true, err
	}
	return "", "", false, formatErr(p.path, `want {"String": ...} or {"Regex": ...}`)
}

// component parses a pipeline component's object and returns it with its
// "type". Objects without one (legacy files) get the type legacy infers
// from their fields; legacy may be nil where the reference requires "type".
func component(raw json.RawMessage, path, kind string, legacy func(object) (string, error)) (object, string, error) {
	o, err := parseObject(raw, path)
	if err != nil {
		return o, "", err
	}
	typ, ok, err := o.typeName()
	switch {
	case err != nil:
		return o, "", err
	case ok:
		return o, typ, nil
	case legacy == nil:
		return o, "", unsupportedErr(o.path, "%s without a \"type\"", kind)
	}
	typ, err = legacy(o)
	return o, typ, err
}

// list builds each element of an array field, for Sequence components.
func list[T any](o object, key string, build func(json.RawMessage, string) (T, error)) ([]T, error) {
	items, err := o.array(key)
	if err != nil {
		return nil, err
	}
	out := make([]T, len(items))
	for i, item := range items {
		if out[i], err = build(item, indexPath(o.at(key), i)); err != nil {
			return nil, err
		}
	}
	return out, nil
}
