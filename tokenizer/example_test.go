package tokenizer_test

import (
	"fmt"
	"log"

	"github.com/transplant-dev/transplant/tokenizer"
)

func ExampleLoad() {
	tk, err := tokenizer.Load("testdata/tokenizers/gpt2")
	if err != nil {
		log.Fatal(err)
	}
	ids := tk.Encode("Hello, world!", false)
	fmt.Println(ids)
	fmt.Println(tk.Decode(ids, false))
	// Output:
	// [15496 11 995 0]
	// Hello, world!
}

func ExampleTokenizer_Surface() {
	tk, err := tokenizer.Load("testdata/tokenizers/mistral-legacy")
	if err != nil {
		log.Fatal(err)
	}
	for _, tok := range []string{"▁Hello", "<0x0A>", "</s>"} {
		id, _ := tk.ID(tok)
		s := tk.Surface(id)
		fmt.Printf("%s %q byte-fallback=%v special=%v\n", tok, s.Bytes, s.ByteFallback, s.Special)
	}
	// Output:
	// ▁Hello " Hello" byte-fallback=false special=false
	// <0x0A> "\n" byte-fallback=true special=false
	// </s> "</s>" byte-fallback=false special=true
}

func ExampleTokenizer_EncodeSurface() {
	tk, err := tokenizer.Load("testdata/tokenizers/mistral-legacy")
	if err != nil {
		log.Fatal(err)
	}
	// The pieces Mistral cuts the bytes of GPT-2's token "Ġtransplanted"
	// into: no ▁ is put in front beyond the space the bytes hold.
	for _, id := range tk.EncodeSurface([]byte(" transplanted")) {
		tok, _ := tk.TokenString(id)
		fmt.Print(tok, " ")
	}
	fmt.Println()
	// Output:
	// ▁trans pl anted
}
