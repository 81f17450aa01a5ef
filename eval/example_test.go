package eval_test

import (
	"context"
	"fmt"
	"log"

	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/eval/forward"
)

// A tiny random Llama whose vocabulary is the 256 byte values stands in for
// a real model here; with a real one, encode is the tokenizer's batch
// encoder, e.g. func(c []string) [][]int { return tok.EncodeBatch(c, false) }.
func ExampleBitsPerByte() {
	m, err := forward.Load("forward/testdata/tiny")
	if err != nil {
		log.Fatal(err)
	}
	encode := func(chunks []string) [][]int {
		ids := make([][]int, len(chunks))
		for i, c := range chunks {
			for _, b := range []byte(c) {
				ids[i] = append(ids[i], int(b))
			}
		}
		return ids
	}
	text := []byte("In the beginning was the word.\n\nAnd the word was short.\n")
	res, err := eval.BitsPerByte(context.Background(), m, text, encode, m.Config().BOS, eval.Options{ChunkBytes: 40})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d bytes, %d tokens scored in %d window(s)\n", res.Bytes, res.Tokens, res.Windows)
	fmt.Printf("%.3f bits per byte\n", res.BitsPerByte())
	// Output:
	// 56 bytes, 56 tokens scored in 1 window(s)
	// 8.538 bits per byte
}
