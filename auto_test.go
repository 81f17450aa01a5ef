package transplant

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/transplant-dev/transplant/eval"
)

// Without a text auto takes its rule; with one it keeps the candidate that
// scores fewest bits per byte, which is never worse than the mean for both
// tables, and the scores are those eval gives the written model.
func TestAuto(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, Inputs{Base: "testdata/example/base", Tokenizer: "testdata/example/new-tokenizer"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, rep, err := s.Auto(ctx, AutoOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rule == "" || rep.Input != "subword (last)" || rep.Head != "mean" || c.Input.Name() != "subword" {
		t.Errorf("rule without a donor: %+v", rep)
	}
	full, err := os.ReadFile("testdata/example/heldout.txt")
	if err != nil {
		t.Fatal(err)
	}
	text := full[:24000]
	c, rep, err = s.Auto(ctx, AutoOptions{Text: text, TextName: "heldout"})
	if err != nil {
		t.Fatal(err)
	}
	// Without a donor, the first part of the text gives the new tokens
	// vectors, and knn joins the candidates.
	if len(rep.Candidates) < 4 || rep.Rule != "" || rep.Bytes == 0 || rep.AuxBytes == 0 {
		t.Fatalf("report %+v", rep)
	}
	best, mean := rep.Candidates[0], -1.0
	for _, cand := range rep.Candidates {
		if cand.Input == "mean" && cand.Head == "mean" {
			mean = cand.BitsPerByte
		}
	}
	if mean < 0 || best.BitsPerByte > mean || best.Input != rep.Input || best.Head != rep.Head {
		t.Errorf("chose %s/%s at %.4f; mean/mean %.4f; candidates %+v", rep.Input, rep.Head, best.BitsPerByte, mean, rep.Candidates)
	}
	// The head is the base's own: calibrated heads are weighed too.
	calibrated := 0
	for _, cand := range rep.Candidates {
		if cand.CalibrateHead {
			calibrated++
		}
	}
	if calibrated == 0 || rep.FitBytes == 0 || rep.Calibration != "" {
		t.Errorf("no calibrated candidate: %+v", rep)
	}
	// The score auto saw is the score of the model written with its
	// choice, calibrated on the part of the text auto calibrated on.
	b, err := s.Build(ctx, c, BuildOptions{CalibrationText: text[:rep.FitBytes]})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "auto")
	if _, err := s.Write(ctx, out, b, WriteOptions{Auto: rep}); err != nil {
		t.Fatal(err)
	}
	got, err := eval.ScoreDir(ctx, out, text[rep.AuxBytes:rep.AuxBytes+rep.Bytes], eval.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := got.BitsPerByte - best.BitsPerByte; d > 1e-3 || d < -1e-3 {
		t.Errorf("written model scores %.5f, auto saw %.5f", got.BitsPerByte, best.BitsPerByte)
	}
}
