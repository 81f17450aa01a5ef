package eval_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/transplant-dev/transplant"
	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/omp"
)

// sharedModelsDir holds the two small trained models of ../shared/models,
// whose README gives the bits-per-byte of both models and of reference
// transplants of A onto B's tokenizer.
var sharedModelsDir = filepath.Join("..", "..", "shared", "models")

// TestAcceptance is the correctness bar, end to end with this
// project's tokenizer, forward pass and transplants: ScoreDir's default
// protocol reproduces the README's bits-per-byte of A and B to 0.5%, and the
// mean, subword and OMP transplants of A onto B's tokenizer score within 1%
// of the reference transplants or better. Slow: five full scorings.
func TestAcceptance(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: scores the shared models on the whole held-out text")
	}
	text, err := os.ReadFile(filepath.Join(sharedModelsDir, "heldout.txt"))
	if os.IsNotExist(err) {
		t.Skipf("%s absent", sharedModelsDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	a, b := filepath.Join(sharedModelsDir, "A-mistral"), filepath.Join(sharedModelsDir, "B-gpt2")
	ctx := context.Background()
	for _, m := range []struct {
		dir  string
		want float64
	}{{a, 1.8782}, {b, 1.9301}} {
		s, err := eval.ScoreDir(ctx, m.dir, text, eval.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %.4f bits per byte over %d tokens (README %.4f)", s.Name, s.BitsPerByte, s.Tokens, m.want)
		if math.Abs(s.BitsPerByte/m.want-1) > 0.005 {
			t.Errorf("%s: %.4f bits per byte, README %.4f (tolerance 0.5%%)", s.Name, s.BitsPerByte, m.want)
		}
	}
	scratch := t.TempDir()
	for _, tr := range []struct {
		method heuristics.Method
		donor  string
		want   float64
	}{
		{heuristics.Mean{}, "", 4.339},
		{heuristics.Subword{}, "", 2.397},
		{omp.Method{Options: omp.Options{K: 64}}, b, 2.095},
	} {
		out := filepath.Join(scratch, tr.method.Name())
		in := transplant.Inputs{Base: a, Tokenizer: b, Donor: tr.donor}
		_, err := transplant.Run(ctx, in, transplant.Choice{Input: tr.method}, out, transplant.BuildOptions{}, transplant.WriteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s, err := eval.ScoreDir(ctx, out, text, eval.Options{})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("A on B's tokenizer, %s: %.4f bits per byte over %d tokens (reference %.3f)", tr.method.Name(), s.BitsPerByte, s.Tokens, tr.want)
		if s.BitsPerByte > tr.want*1.01 {
			t.Errorf("%s transplant: %.4f bits per byte, reference %.3f (within 1%% or better)", tr.method.Name(), s.BitsPerByte, tr.want)
		}
		os.RemoveAll(out)
	}
}
