package omp

import (
	"encoding/json"
	"testing"
)

// Run reports record a method's parameters as JSON; the callbacks are not
// parameters.
func TestMethodMarshalsParameters(t *testing.T) {
	m := Method{Options: Options{K: 8, Tolerance: 0.1, Progress: func(int, int) {}}}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var back Method
	if err := json.Unmarshal(b, &back); err != nil || back.Options.K != 8 || back.Options.Tolerance != 0.1 {
		t.Errorf("%s → %+v, %v", b, back.Options, err)
	}
}

// A run report must say which options ran, defaults included.
func TestMethodJSONShowsDefaults(t *testing.T) {
	b, err := json.Marshal(Method{Options: Options{Tolerance: 0.5}})
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Options Options }
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := Options{K: DefaultK, Tolerance: 0.5, MaxMemory: DefaultMaxMemory}
	if got.Options.K != want.K || got.Options.Tolerance != want.Tolerance || got.Options.MaxMemory != want.MaxMemory {
		t.Errorf("%s decodes to %+v, want %+v", b, got.Options, want)
	}
}
