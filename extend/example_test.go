package extend_test

import (
	"context"
	"fmt"
	"log"
	"strings"

	"github.com/transplant-dev/transplant/extend"
)

func ExampleLearn() {
	base, err := extend.Open("../tokenizer/testdata/tokenizers/gpt2")
	if err != nil {
		log.Fatal(err)
	}
	corpus := strings.Repeat("Transplantation moves a model onto a new tokenizer. ", 20)
	ext, err := extend.Learn(context.Background(), base, strings.NewReader(corpus), extend.Options{Add: 3})
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range ext.Tokens {
		fmt.Printf("%d %q = %q + %q, was %v\n", t.ID, t.Spelling, t.Merge[0], t.Merge[1], t.Pieces)
	}
	before, after := ext.Stats.BytesPerToken()
	fmt.Printf("bytes per token: %.2f → %.2f\n", before, after)

	tok, err := ext.Tokenizer()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(tok.Encode("Transplantation works. A Transplantation works.", false))
	// Output:
	// 50257 "Ġtokenizer" = "Ġtoken" + "izer", was [11241 7509]
	// 50258 "plantation" = "plant" + "ation", was [15060 341]
	// 50259 "ĠTransplantation" = "ĠTrans" + "plantation", was [3602 15060 341]
	// bytes per token: 4.32 → 5.71
	// [8291 50258 2499 13 317 50259 2499 13]
}
