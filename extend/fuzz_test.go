package extend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzLearn learns from arbitrary bytes with tokenizers of three families:
// no panic; an ill-formed corpus is a *CorpusError at the first bad byte;
// a well-formed one gives files that load, with every id in place (Files
// checks them) and token counts that are the tokenizers' own.
func FuzzLearn(f *testing.F) {
	for _, s := range []string{
		"hello hello world world", "数学数学 数学\n数学", "\xff", "ab\xe2\x82", "a\n\nb\r\n c\t\td",
		"<|endoftext|> x <|endoftext|> x", "▁▁▁ ▁▁", strings.Repeat("abc ", 50), "12 12 1212 2024 2024",
	} {
		f.Add([]byte(s), uint8(0))
	}
	names := []string{"synth-bytelevel-added", "synth-unigram", "synth-prefix-bpe"}
	bases := make([]*Base, len(names))
	for i, n := range names {
		bases[i] = openBase(f, n)
	}
	f.Fuzz(func(t *testing.T, corpus []byte, which uint8) {
		base := bases[int(which)%len(bases)]
		ext, err := Learn(context.Background(), base, bytes.NewReader(corpus), Options{Add: 6, MinFrequency: 1})
		if want := firstIllFormed(corpus); want >= 0 {
			var ce *CorpusError
			if !errors.As(err, &ce) || ce.Offset != int64(want) {
				t.Fatalf("corpus %q: error %v, want a CorpusError at %d", corpus, err, want)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ext.Files(); err != nil {
			t.Fatal(err)
		}
		tok, err := ext.Tokenizer()
		if err != nil {
			t.Fatal(err)
		}
		before := chunkedCount(func(s string) []int { return base.Tokenizer().Encode(s, false) }, corpus)
		after := chunkedCount(func(s string) []int { return tok.Encode(s, false) }, corpus)
		if ext.Stats.TokensBefore != before || ext.Stats.TokensAfter != after {
			t.Errorf("corpus %q: Stats say %d → %d tokens, the tokenizers %d → %d", corpus, ext.Stats.TokensBefore, ext.Stats.TokensAfter, before, after)
		}
	})
}

// firstIllFormed finds the first ill-formed UTF-8 byte the way range over a
// string does, or returns -1.
func firstIllFormed(b []byte) int {
	for i, r := range string(b) {
		if r == utf8.RuneError && !strings.HasPrefix(string(b[i:]), "\uFFFD") {
			return i
		}
	}
	return -1
}

// FuzzAppendElements appends to arbitrary JSON arrays and objects: the
// result is JSON holding the old elements, in order, and then the new one.
func FuzzAppendElements(f *testing.F) {
	for _, s := range []string{`[]`, `{}`, `[1, 2]`, `{"a": 1}`, "{\r\n  \"a\": [1, {\"b\": \"]\"}]\r\n}",
		"[\n  [\n    \"a\",\n    \"b\"\n  ]\n]", `["a b", "c d"]`, `[["x", -1.5]]`, `{"\"}": "{"}`} {
		f.Add([]byte(s), "new \"token\"")
	}
	f.Fuzz(func(t *testing.T, container []byte, token string) {
		container = bytes.TrimSpace(container)
		if !json.Valid(container) || len(container) < 2 || (container[0] != '[' && container[0] != '{') || !utf8.ValidString(token) {
			return
		}
		var elem []byte
		if container[0] == '{' {
			elem = slices.Concat(quote(token), colonLayout(container), []byte("7"))
		} else if open, mid, close := pairLayout(container); token != "" && len(token)%2 == 0 {
			elem = slices.Concat(open, quote(token), mid, quote(token), close)
		} else {
			elem = quote(token)
		}
		out := appendElements(container, [][]byte{elem})
		if !json.Valid(out) {
			t.Fatalf("appending %s to %s gives %s", elem, container, out)
		}
		old, got := elements(t, container), elements(t, out)
		want := append(old, elements(t, slices.Concat(container[:1], elem, container[len(container)-1:]))...)
		if !slices.Equal(got, want) {
			t.Fatalf("appending %s to %s gives %s", elem, container, out)
		}
	})
}

// elements lists the elements of an array, or "key=value" for the members
// of an object, compacted.
func elements(t *testing.T, container []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(container))
	dec.UseNumber()
	first, _ := dec.Token()
	var out []string
	for dec.More() {
		key := ""
		if first == json.Delim('{') {
			k, err := dec.Token()
			if err != nil {
				t.Fatal(err)
			}
			key = k.(string) + "="
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatal(err)
		}
		var c bytes.Buffer
		if err := json.Compact(&c, raw); err != nil {
			t.Fatal(err)
		}
		out = append(out, key+c.String())
	}
	return out
}
