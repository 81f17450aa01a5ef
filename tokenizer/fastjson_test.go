package tokenizer

import (
	"encoding/json"
	"maps"
	"reflect"
	"testing"
)

// The fast readers must agree with encoding/json whenever they accept.

func checkFastJSON(t *testing.T, data []byte) {
	if !json.Valid(data) {
		return
	}
	if m, ok := fastVocab(data); ok {
		var want map[string]int
		if err := json.Unmarshal(data, &want); err != nil || !maps.Equal(m, want) {
			t.Errorf("fastVocab(%q) = %v, encoding/json %v (%v)", data, m, want, err)
		}
	}
	if m, ok := skimObject(data); ok {
		var want map[string]json.RawMessage
		if err := json.Unmarshal(data, &want); err != nil || len(m) != len(want) {
			t.Errorf("skimObject(%q) = %v, encoding/json %v (%v)", data, m, want, err)
		}
		for k, v := range want {
			if string(m[k]) != string(v) {
				t.Errorf("skimObject(%q)[%q] = %s, want %s", data, k, m[k], v)
			}
		}
	}
	if flat, _, ok := fastStrings(data, false); ok {
		var want []string
		if err := json.Unmarshal(data, &want); err != nil || !reflect.DeepEqual(flat, want) && len(want) > 0 {
			t.Errorf("fastStrings(%q) = %q, encoding/json %q (%v)", data, flat, want, err)
		}
	}
	if _, pairs, ok := fastStrings(data, true); ok {
		var want [][]string
		if err := json.Unmarshal(data, &want); err != nil || !reflect.DeepEqual(pairs, want) && len(want) > 0 {
			t.Errorf("fastStrings(%q, nested) = %q, encoding/json %q (%v)", data, pairs, want, err)
		}
	}
}

func TestFastJSON(t *testing.T) {
	for _, s := range []string{
		`{"a": 1, "b\"c": 2, "\u00e9\ud83d\ude00": 3, "\n\t\\/": 4}`,
		`{"x": 1, "x": 2}`, `{}`, ` { "k" : 12 } `, `{"a": 1.5}`, `{"a": -1}`, `{"\ud800": 1}`,
		`["a b", "\u0120 c", "#version: 0.2"]`, `[["a", "b"], ["\\", "\""]]`, `[]`, `[["a"], []]`,
		`{"model": {"vocab": {"a": 0}}, "x": [1, {"y": "}"}], "z": null}`,
	} {
		checkFastJSON(t, []byte(s))
	}
}

func FuzzFastJSON(f *testing.F) {
	for _, s := range []string{`{"a": 1}`, `["a b"]`, `[["a", "b"]]`, `{"\u00e9": [1, "x"]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { checkFastJSON(t, data) })
}
