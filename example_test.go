package transplant_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/transplant-dev/transplant"
	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/heuristics"
)

// The bundled example: a small Llama with Mistral's tokenizer, to be moved
// onto GPT-2's.
const (
	exampleBase = "testdata/example/base"
	exampleTok  = "testdata/example/new-tokenizer"
)

// A transplant is one pipeline: open the inputs (aligning the
// vocabularies), plan, build a row map per table, write the directory.
func Example() {
	ctx := context.Background()
	s, err := transplant.Open(ctx, transplant.Inputs{Base: exampleBase, Tokenizer: exampleTok})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	c := transplant.Choice{Input: heuristics.Subword{Input: heuristics.CombineLast}, Output: heuristics.Mean{}}
	plan, err := s.Plan(c, "")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d rows copied, %d built per table\n", plan.Tables[0].Copied, plan.Tables[0].Built)
	b, err := s.Build(ctx, c, transplant.BuildOptions{})
	if err != nil {
		log.Fatal(err)
	}
	out, err := os.MkdirTemp("", "example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(out)
	rep, err := s.Write(ctx, filepath.Join(out, "model"), b, transplant.WriteOptions{})
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range rep.Tables {
		fmt.Printf("%s (%s): %d built by the method\n", t.Role, t.Method, t.Counts[t.Method])
	}
	// Output:
	// 21241 rows copied, 29016 built per table
	// input embedding (subword): 29016 built by the method
	// output head (mean): 29016 built by the method
}

// Reconstruction holds out shared tokens and asks each method to rebuild
// their rows; the mean vector is the baseline.
func ExampleSession_HoldOut() {
	s, err := transplant.Open(context.Background(), transplant.Inputs{Base: exampleBase, Tokenizer: exampleTok})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	r, err := s.HoldOut(transplant.HoldOutOptions{N: 200, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	rep, err := eval.Reconstruct(context.Background(), r, []heuristics.Method{heuristics.Subword{}}, eval.ReconstructOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d of %d shared tokens held out\n", len(rep.HeldOut), rep.Eligible)
	for _, t := range rep.Tables {
		for _, m := range t.Methods {
			fmt.Printf("%s, %s: median cosine %.2f\n", t.Table, m.Method, m.Cosine.Median)
		}
	}
	// Output:
	// 200 of 20984 shared tokens held out
	// input embedding, mean: median cosine 0.05
	// input embedding, subword: median cosine 0.02
	// output head, mean: median cosine 0.97
	// output head, subword: median cosine 0.55
}
