package heuristics

import (
	"context"
	"errors"
	"testing"
)

// A blend's rows are the weighted sum of its methods' rows.
func TestBlend(t *testing.T) {
	ctx := context.Background()
	p := &Problem{Base: base3, Targets: []Target{
		{NewID: 0, Bytes: 3, Pieces: []Piece{{ID: 1, Bytes: 3}}},
		{NewID: 1, Bytes: 4, Pieces: []Piece{{ID: 0, Bytes: 1}, {ID: 2, Bytes: 3}}},
		{NewID: 2, Bytes: 2},
	}}
	first, second := Subword{Input: CombineLast}, Mean{}
	rows := func(m Method) []float32 {
		rm, err := m.Build(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		dst := table(len(p.Targets), 2)
		if err := rm.Apply(ctx, dst, base3); err != nil {
			t.Fatal(err)
		}
		return dst.Data
	}
	a, b := rows(first), rows(second)
	got := rows(Blend{First: first, Second: second, Weight: 0.25})
	want := make([]float32, len(a))
	for i := range a {
		want[i] = 0.75*a[i] + 0.25*b[i]
	}
	if !near(got, want, 1e-6) {
		t.Errorf("blend %v, want %v", got, want)
	}
	if _, err := (Blend{First: first, Second: Randn{Scale: 1}, Weight: 0.5}).Build(ctx, p); !errors.Is(err, ErrBlendNoise) {
		t.Errorf("blend with noise: %v", err)
	}
	if _, err := (Blend{First: first, Second: second, Weight: 2}).Build(ctx, p); err == nil {
		t.Error("weight 2 accepted")
	}
	if !(Blend{First: first, Second: KNN{K: 1, Temperature: 1}}).RequiresDonor() {
		t.Error("a blend with knn needs no donor")
	}
}
