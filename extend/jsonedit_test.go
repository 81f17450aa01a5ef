package extend

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestMember(t *testing.T) {
	obj := []byte(`{"a": 1, "model": {"vocab": {"x": 0}, "merges": ["a b"]}, "z": "model"}`)
	s, e, err := member(obj, "model")
	if err != nil || string(obj[s:e]) != `{"vocab": {"x": 0}, "merges": ["a b"]}` {
		t.Fatalf("model: %q, %v", obj[s:e], err)
	}
	model := obj[s:e]
	if s, e, err := member(model, "merges"); err != nil || string(model[s:e]) != `["a b"]` {
		t.Errorf("merges: %q, %v", model[s:e], err)
	}
	if _, _, err := member(obj, "vocab"); err == nil {
		t.Error("found a member that only a nested object has")
	}
	if _, _, err := member([]byte(`["model"]`), "model"); err == nil {
		t.Error("found a member in an array")
	}
}

func TestAppendElements(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"compact", `{"a":0,"b":1}`, `{"a":0,"b":1,"c":2}`},
		{"pretty", "{\n  \"a\": 0,\n  \"b\": 1\n}", "{\n  \"a\": 0,\n  \"b\": 1,\n  \"c\": 2\n}"},
		{"crlf", "{\r\n      \"a\": 0\r\n    }", "{\r\n      \"a\": 0,\r\n      \"c\": 2\r\n    }"},
		{"empty", `{}`, `{"c":2}`},
		{"empty pretty", "{\n}", `{"c":2}`},
	} {
		colon := colonLayout([]byte(tc.in))
		got := appendElements([]byte(tc.in), [][]byte{slices.Concat(quote("c"), colon, []byte("2"))})
		if string(got) != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
	pairs := "[\n  [\n    \"a\",\n    \"b\"\n  ]\n]"
	open, mid, close := pairLayout([]byte(pairs))
	got := appendElements([]byte(pairs), [][]byte{slices.Concat(open, quote("c"), mid, quote("d"), close)})
	if want := "[\n  [\n    \"a\",\n    \"b\"\n  ],\n  [\n    \"c\",\n    \"d\"\n  ]\n]"; string(got) != want {
		t.Errorf("pairs: got %q, want %q", got, want)
	}
}

func TestQuote(t *testing.T) {
	for _, s := range []string{"<s>", "a&b", "\"\\", "▁hello", "Ġ", "\u2028", "\x00"} {
		var back string
		if err := json.Unmarshal(quote(s), &back); err != nil || back != s {
			t.Errorf("quote(%q) = %s, reads back as %q (%v)", s, quote(s), back, err)
		}
	}
	if q := string(quote("<s>")); q != `"<s>"` {
		t.Errorf("quote escapes HTML: %s", q)
	}
}

// checkAppendOnly: the extended tokenizer.json is the base's with elements
// appended to model.vocab and model.merges and nothing else changed: every
// other value byte for byte, every key in its place, the old entries as
// they were, no line ending of another kind.
func checkAppendOnly(t *testing.T, old, out []byte) {
	t.Helper()
	sameExcept(t, "", old, out, map[string]bool{"model": true})
	ms, me, _ := member(old, "model")
	ns, ne, _ := member(out, "model")
	sameExcept(t, "model.", old[ms:me], out[ns:ne], map[string]bool{"vocab": true, "merges": true})
	for _, key := range []string{"vocab", "merges"} {
		vs, ve, err := member(old[ms:me], key)
		if err != nil {
			continue
		}
		ws, we, _ := member(out[ns:ne], key)
		before, after := old[ms:me][vs:ve], out[ns:ne][ws:we]
		kept := before[:len(bytes.TrimRight(before[:len(before)-1], " \t\r\n"))]
		if !bytes.HasPrefix(after, kept) {
			t.Errorf("model.%s: the old entries are not kept as they were", key)
		}
	}
	lf := func(b []byte) int { return bytes.Count(b, []byte("\n")) - bytes.Count(b, []byte("\r\n")) }
	crlf := func(b []byte) int { return bytes.Count(b, []byte("\r\n")) }
	if (lf(old) == 0) != (lf(out) == 0) || (crlf(old) == 0) != (crlf(out) == 0) {
		t.Errorf("line endings changed: %d LF and %d CRLF, base %d and %d", lf(out), crlf(out), lf(old), crlf(old))
	}
}

// sameExcept compares two JSON objects member by member, in order, except
// the keys named.
func sameExcept(t *testing.T, path string, a, b []byte, except map[string]bool) {
	t.Helper()
	am, bm := members(t, a), members(t, b)
	if len(am) != len(bm) {
		t.Fatalf("%s: %d members, base %d", path, len(bm), len(am))
	}
	for i := range am {
		if am[i][0] != bm[i][0] {
			t.Errorf("%s: member %d is %q, base %q", path, i, bm[i][0], am[i][0])
			continue
		}
		if !except[am[i][0]] && am[i][1] != bm[i][1] {
			t.Errorf("%s%s changed", path, am[i][0])
		}
	}
}

func members(t *testing.T, obj []byte) [][2]string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(obj))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var out [][2]string
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		out = append(out, [2]string{k.(string), strings.TrimSpace(string(raw))})
	}
	return out
}
