package extend

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Editing tokenizer.json in place: values are found by their byte spans and
// new elements are spliced in after the last old one, laid out as the
// first one is, so that the file keeps its key order, indentation and line
// endings and differs from the base only by what is added.

// member returns the span of the value of obj's member key (the last one,
// if the key repeats).
func member(obj []byte, key string) (start, end int, err error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0, 0, errors.New("not a JSON object")
	}
	start = -1
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return 0, 0, err
		}
		k, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return 0, 0, err
		}
		e := int(dec.InputOffset())
		if k == key {
			start, end = e-len(raw), e
		}
	}
	if start < 0 {
		return 0, 0, fmt.Errorf("no %q member", key)
	}
	if !bytes.Equal(obj[start:end], bytes.TrimSpace(obj[start:end])) {
		return 0, 0, fmt.Errorf("cannot place the %q member", key)
	}
	return start, end, nil
}

// elementSpans returns the spans of the first elements of a JSON array or
// the first member of an object (key and value), up to n of them.
func elementSpans(container []byte, n int) [][2]int {
	dec := json.NewDecoder(bytes.NewReader(container))
	if _, err := dec.Token(); err != nil {
		return nil
	}
	var spans [][2]int
	obj := container[0] == '{'
	for len(spans) < n && dec.More() {
		if obj && len(spans)%2 == 0 {
			prev := int(dec.InputOffset())
			if _, err := dec.Token(); err != nil {
				return nil
			}
			e := int(dec.InputOffset())
			spans = append(spans, [2]int{prev + bytes.IndexByte(container[prev:e], '"'), e})
			continue
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil
		}
		e := int(dec.InputOffset())
		spans = append(spans, [2]int{e - len(raw), e})
	}
	return spans
}

// appendElements returns container, a JSON array or object, with elems
// added after its last element; each is put on its own line, indented as
// the first element is.
func appendElements(container []byte, elems [][]byte) []byte {
	if len(elems) == 0 {
		return container
	}
	inner := container[1 : len(container)-1]
	var out bytes.Buffer
	if len(bytes.TrimSpace(inner)) == 0 {
		out.WriteByte(container[0])
		out.Write(bytes.Join(elems, []byte(",")))
		out.WriteByte(container[len(container)-1])
		return out.Bytes()
	}
	lead := inner[:len(inner)-len(bytes.TrimLeft(inner, " \t\r\n"))]
	last := 1 + len(bytes.TrimRight(inner, " \t\r\n"))
	out.Grow(len(container) + len(elems)*(len(lead)+16))
	out.Write(container[:last])
	for _, e := range elems {
		out.WriteByte(',')
		out.Write(lead)
		out.Write(e)
	}
	out.Write(container[last:])
	return out.Bytes()
}

// pairLayout returns how the first element of an array of two-element
// arrays is written around its two values, or a compact layout when the
// array is empty.
func pairLayout(arr []byte) (open, mid, close []byte) {
	spans := elementSpans(arr, 1)
	if len(spans) == 0 {
		return []byte("["), []byte(","), []byte("]")
	}
	first := arr[spans[0][0]:spans[0][1]]
	vals := elementSpans(first, 2)
	if len(vals) != 2 {
		return []byte("["), []byte(","), []byte("]")
	}
	return first[:vals[0][0]], first[vals[0][1]:vals[1][0]], first[vals[1][1]:]
}

// colonLayout returns what stands between the key and the value of the
// first member of an object, ":" when it is empty.
func colonLayout(obj []byte) []byte {
	spans := elementSpans(obj, 2)
	if len(spans) != 2 {
		return []byte(":")
	}
	return obj[spans[0][1]:spans[1][0]]
}

// quote writes s as a JSON string, without escaping <, > and & as
// encoding/json does by default.
func quote(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func formatScore(f float64) []byte {
	return strconv.AppendFloat(nil, f, 'g', -1, 64)
}
