package transplant

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/transplant-dev/transplant/heuristics"
)

// Held-out tokens are new to every method: no piece is the token itself,
// the pieces spell its bytes, no anchor is a held-out token, and the truth
// is the token's own old row.
func TestHoldOut(t *testing.T) {
	base := tinyModel{tokenizer: "gpt2", hidden: 4}.write(t, filepath.Join(t.TempDir(), "base"))
	s, err := Open(context.Background(), Inputs{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.HoldOut(HoldOutOptions{N: 50, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.HeldOut) != 50 || !slices.IsSorted(r.HeldOut) || r.Eligible < 40000 || len(r.Tables) != 2 {
		t.Fatalf("held out %d of %d (sorted %v), %d tables", len(r.HeldOut), r.Eligible, slices.IsSorted(r.HeldOut), len(r.Tables))
	}
	tok := s.OldTokenizer()
	for _, tt := range r.Tables {
		p := tt.Problem
		for _, a := range p.Anchors {
			if slices.Contains(r.HeldOut, a.New) {
				t.Fatalf("anchor %v is held out", a)
			}
		}
		for i, tg := range p.Targets {
			if tt.Truth[i] != tg.NewID { // the tokenizer aligned with itself
				t.Fatalf("target %d: truth %d", tg.NewID, tt.Truth[i])
			}
			var spelled []byte
			for _, pc := range tg.Pieces {
				if pc.ID == tg.NewID {
					t.Fatalf("target %d is its own piece", tg.NewID)
				}
				spelled = append(spelled, tok.Surface(pc.ID).Bytes...)
			}
			if !bytes.Equal(spelled, tok.Surface(tg.NewID).Bytes) {
				t.Fatalf("target %d: pieces spell %q, want %q", tg.NewID, spelled, tok.Surface(tg.NewID).Bytes)
			}
		}
		if tt.Role == heuristics.OutputHead && tt.Problem.Role != heuristics.OutputHead {
			t.Error("the head's problem has the wrong role")
		}
	}
	again, _ := s.HoldOut(HoldOutOptions{N: 50, Seed: 9})
	other, _ := s.HoldOut(HoldOutOptions{N: 50, Seed: 10})
	if !slices.Equal(r.HeldOut, again.HeldOut) || slices.Equal(r.HeldOut, other.HeldOut) {
		t.Error("the sample does not depend on the seed alone")
	}
}

// A vocabulary of single bytes has nothing a transplant could lack.
func TestHoldOutNothingEligible(t *testing.T) {
	dir := t.TempDir()
	tokDir := filepath.Join(dir, "letters")
	os.Mkdir(tokDir, 0o755)
	writeJSON(t, filepath.Join(tokDir, "tokenizer.json"), map[string]any{
		"version": "1.0", "added_tokens": []any{},
		"model": map[string]any{"type": "BPE", "vocab": map[string]int{"a": 0, "b": 1, "c": 2}, "merges": []string{}},
	})
	base := tinyModel{tokenizer: tokDir, hidden: 4}.write(t, filepath.Join(dir, "base"))
	s, err := Open(context.Background(), Inputs{Base: base})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.HoldOut(HoldOutOptions{Fraction: 1}); !errors.Is(err, ErrNothingToHoldOut) {
		t.Errorf("got %v, want ErrNothingToHoldOut", err)
	}
}

func TestSampleSize(t *testing.T) {
	for _, tt := range []struct {
		opts           HoldOutOptions
		eligible, want int
	}{
		{HoldOutOptions{}, 20000, DefaultHoldOut},
		{HoldOutOptions{}, 300, 300},
		{HoldOutOptions{N: 50}, 300, 50},
		{HoldOutOptions{Fraction: 0.05}, 20000, 1000},
		{HoldOutOptions{N: 7, Fraction: 0.5}, 100, 7},
	} {
		if got := tt.opts.sampleSize(tt.eligible); got != tt.want {
			t.Errorf("%+v of %d: %d, want %d", tt.opts, tt.eligible, got, tt.want)
		}
	}
}
