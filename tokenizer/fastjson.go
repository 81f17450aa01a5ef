package tokenizer

import (
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Fast paths for the big parts of a tokenizer file: splitting objects into
// members without decoding them, and reading vocabularies ({"token": id})
// and merge lists. encoding/json takes seconds on a 30 MB vocabulary; these
// take a fraction of that. Each reports false on anything unusual, and the
// caller then falls back to encoding/json, which also words the error, so
// results never differ (fastjson_test.go checks this).
//
// They assume the input is valid JSON: build checks the whole file with
// json.Valid first.

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

// readString reads the JSON string starting at b[i] == '"'.
func readString(b []byte, i int) (string, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return "", i, false
	}
	i++
	start := i
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return string(b[start:i]), i + 1, true
		case c == '\\':
			return readEscaped(b, start)
		case c < 0x20:
			return "", i, false
		case c >= 0x80:
			r, w := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && w == 1 {
				return "", i, false
			}
			i += w
		default:
			i++
		}
	}
	return "", i, false
}

// readEscaped reads a string body from start that holds escapes.
func readEscaped(b []byte, start int) (string, int, bool) {
	out := make([]byte, 0, 16)
	i := start
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			return string(out), i + 1, true
		case c < 0x20:
			return "", i, false
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(b) {
			return "", i, false
		}
		switch e := b[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n, ok := readUnicodeEscape(b, i)
			if !ok {
				return "", i, false
			}
			out = utf8.AppendRune(out, r)
			i += n
			continue
		default:
			return "", i, false
		}
		i += 2
	}
	return "", i, false
}

// readUnicodeEscape reads \uXXXX (and its low surrogate) at b[i]; lone
// surrogates are left to encoding/json.
func readUnicodeEscape(b []byte, i int) (rune, int, bool) {
	hex := func(j int) (rune, bool) {
		if j+6 > len(b) || b[j] != '\\' || b[j+1] != 'u' {
			return 0, false
		}
		v, err := strconv.ParseUint(string(b[j+2:j+6]), 16, 32)
		return rune(v), err == nil
	}
	r, ok := hex(i)
	if !ok {
		return 0, 0, false
	}
	if !utf16.IsSurrogate(r) {
		return r, 6, true
	}
	lo, ok := hex(i + 6)
	if !ok {
		return 0, 0, false
	}
	if c := utf16.DecodeRune(r, lo); c != utf8.RuneError {
		return c, 12, true
	}
	return 0, 0, false
}

// skipValue returns the index after the JSON value starting at b[i].
func skipValue(b []byte, i int) (int, bool) {
	depth := 0
	for i < len(b) {
		switch b[i] {
		case '"':
			j := i + 1
			for j < len(b) && b[j] != '"' {
				if b[j] == '\\' {
					j++
				}
				j++
			}
			i = j + 1
		case '{', '[':
			depth++
			i++
		case '}', ']':
			depth--
			i++
		case ' ', '\n', '\t', '\r', ',', ':':
			i++
		default: // a number, true, false or null
			for i < len(b) && !isDelim(b[i]) {
				i++
			}
		}
		if depth == 0 {
			return i, true
		}
	}
	return i, false
}

func isDelim(c byte) bool {
	return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == ':'
}

// eachMember calls f with the key and the undecoded value of every member
// of a JSON object, in order, until f returns false.
func eachMember(b []byte, f func(key string, val []byte) bool) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return skipSpace(b, i+1) == len(b)
	}
	for i < len(b) {
		key, j, ok := readString(b, i)
		if !ok {
			return false
		}
		j = skipSpace(b, j)
		if j >= len(b) || b[j] != ':' {
			return false
		}
		start := skipSpace(b, j+1)
		end, ok := skipValue(b, start)
		if !ok || !f(key, b[start:end]) {
			return false
		}
		i = skipSpace(b, end)
		if i < len(b) && b[i] == '}' {
			return skipSpace(b, i+1) == len(b)
		}
		if i >= len(b) || b[i] != ',' {
			return false
		}
		i = skipSpace(b, i+1)
	}
	return false
}

// skimObject splits a JSON object into its members, undecoded.
func skimObject(b []byte) (map[string]json.RawMessage, bool) {
	m := map[string]json.RawMessage{}
	ok := eachMember(b, func(k string, v []byte) bool {
		m[k] = v
		return true
	})
	return m, ok
}

// fastVocab reads {"token": id, ...} with integer ids.
func fastVocab(b []byte) (map[string]int, bool) {
	m := make(map[string]int, len(b)/16)
	ok := eachMember(b, func(k string, v []byte) bool {
		id, err := strconv.Atoi(string(v))
		m[k] = id
		return err == nil
	})
	return m, ok
}

// fastStrings reads an array of strings, or an array of arrays of strings
// when nested; ok is false for anything else.
func fastStrings(b []byte, nested bool) (flat []string, pairs [][]string, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, nil, false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return []string{}, [][]string{}, true
	}
	for i < len(b) {
		if nested {
			var inner []string
			inner, _, i, ok = readStringArray(b, i)
			if !ok {
				return nil, nil, false
			}
			pairs = append(pairs, inner)
		} else {
			var s string
			if s, i, ok = readString(b, i); !ok {
				return nil, nil, false
			}
			flat = append(flat, s)
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ']' {
			return flat, pairs, skipSpace(b, i+1) == len(b)
		}
		if i >= len(b) || b[i] != ',' {
			return nil, nil, false
		}
		i = skipSpace(b, i+1)
	}
	return nil, nil, false
}

// readStringArray reads a flat array of strings starting at b[i].
func readStringArray(b []byte, i int) ([]string, []string, int, bool) {
	if i >= len(b) || b[i] != '[' {
		return nil, nil, i, false
	}
	out := []string{}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return out, nil, i + 1, true
	}
	for i < len(b) {
		s, j, ok := readString(b, i)
		if !ok {
			return nil, nil, i, false
		}
		out = append(out, s)
		i = skipSpace(b, j)
		if i < len(b) && b[i] == ']' {
			return out, nil, i + 1, true
		}
		if i >= len(b) || b[i] != ',' {
			return nil, nil, i, false
		}
		i = skipSpace(b, i+1)
	}
	return nil, nil, i, false
}
