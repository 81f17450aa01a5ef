package cooc_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/transplant-dev/transplant/cooc"
	"github.com/transplant-dev/transplant/tokenizer"
)

// Vectors for a tokenizer's tokens from a text, as knn, hybrid or omp
// would use them in place of a donor model's embedding.
func Example() {
	tok, err := tokenizer.Load("testdata/toy/tokenizer.json")
	if err != nil {
		log.Fatal(err)
	}
	text := strings.NewReader("a b a c\n\nc b a\n\nd e f d\n")
	counts, err := cooc.Count(context.Background(), tok, text, cooc.CountOptions{})
	if err != nil {
		log.Fatal(err)
	}
	v, err := counts.Vectors(context.Background(), cooc.VectorOptions{MinCount: 2, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d of %d ids occur; %d have a vector of %d dimensions\n",
		counts.Occurring(), tok.VocabSize(), v.Len(), v.Table.Cols)
	for _, s := range []string{"a", "d", "e"} {
		id, _ := tok.ID(s)
		fmt.Printf("%s: %d occurrences, vector %v\n", s, v.Occurrences[id], v.Has(id))
	}
	// d occurs twice, but only next to tokens too rare to be contexts.

	// Output:
	// 6 of 7 ids occur; 3 have a vector of 4 dimensions
	// a: 3 occurrences, vector true
	// d: 2 occurrences, vector false
	// e: 1 occurrences, vector false
}
