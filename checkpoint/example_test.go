package checkpoint_test

import (
	"fmt"
	"log"

	"github.com/transplant-dev/transplant/checkpoint"
)

func ExampleOpen() {
	m, err := checkpoint.Open("testdata/llama-st")
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	arch, _ := m.Architecture()
	embed, _ := m.Embedding()
	fmt.Println(arch.Class, m.Format(), "tied:", m.Tied())
	fmt.Println(embed.Name, embed.Dtype, embed.Shape, "vocab_size:", m.Config().VocabSize())

	// Widen the first two rows of the embedding to float32.
	rows := make([]float32, 2*embed.Shape[1])
	if err := m.ReadRows(embed.Name, 0, 2, rows); err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(rows))
	// Output:
	// LlamaForCausalLM safetensors tied: false
	// model.embed_tokens.weight BF16 [24 4] vocab_size: 20
	// 8
}
