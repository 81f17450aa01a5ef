package eval_test

import (
	"context"
	"fmt"
	"log"

	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/tokenizer"
)

// The bundled example: a small Llama with Mistral's tokenizer, to be moved
// onto GPT-2's.
const (
	exampleBase = "../testdata/example/base"
	exampleTok  = "../testdata/example/new-tokenizer"
)

func ExampleCompareEfficiency() {
	old, err := tokenizer.Load(exampleBase)
	if err != nil {
		log.Fatal(err)
	}
	tok, err := tokenizer.Load(exampleTok)
	if err != nil {
		log.Fatal(err)
	}
	text := []byte("Tokenizers disagree about how to spell transplanted embeddings.\n")
	e, err := eval.CompareEfficiency(context.Background(), text, old, tok, eval.EfficiencyOptions{})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d words; tokens: old %d, new %d\n", e.Words, e.Old.Tokens, e.New.Tokens)
	fmt.Printf("share of the text in tokens the old vocabulary lacks: %.0f%%\n", 100*e.New.NotSharedShare)
	// Output:
	// 8 words; tokens: old 14, new 14
	// share of the text in tokens the old vocabulary lacks: 12%
}

func ExampleScoreDir() {
	text := []byte("In the beginning God created the heaven and the earth.\n\nAnd the earth was without form, and void.\n")
	s, err := eval.ScoreDir(context.Background(), exampleBase, text, eval.Options{Context: 64})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s: %d tokens scored in %d window(s), %.2f bits per byte\n", s.Name, s.Tokens, s.Windows, s.BitsPerByte)
	// Output:
	// base: 24 tokens scored in 1 window(s), 1.68 bits per byte
}
