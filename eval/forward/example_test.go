package forward_test

import (
	"fmt"
	"log"

	"github.com/transplant-dev/transplant/eval/forward"
)

// The test model is a tiny random Llama whose vocabulary is the 256 byte
// values, so a string's bytes are its token ids.
func ExampleModel_NLL() {
	m, err := forward.Load("testdata/tiny")
	if err != nil {
		log.Fatal(err)
	}
	ids := []int{m.Config().BOS}
	for _, b := range []byte("Hello, world") {
		ids = append(ids, int(b))
	}
	// targets[i] is the token after ids[i]; -1 skips the last position.
	targets := append(ids[1:len(ids):len(ids)], -1)
	nll := make([]float64, len(ids))
	if err := m.NLL(nll, ids, targets); err != nil {
		log.Fatal(err)
	}
	var sum float64
	for _, v := range nll[:len(ids)-1] {
		sum += v
	}
	fmt.Printf("%s, %d layer, vocabulary %d\n", m.Config().ModelType, m.Config().Layers, m.VocabSize())
	fmt.Printf("%.3f nats per token (uniform: 5.545)\n", sum/float64(len(ids)-1))
	// Output:
	// llama, 1 layer, vocabulary 256
	// 5.886 nats per token (uniform: 5.545)
}

func ExampleModel_Logits() {
	m, err := forward.Load("testdata/tiny")
	if err != nil {
		log.Fatal(err)
	}
	ids := []int{104, 105} // "hi"
	logits := make([]float32, len(ids)*m.VocabSize())
	if err := m.Logits(logits, ids); err != nil {
		log.Fatal(err)
	}
	last := logits[(len(ids)-1)*m.VocabSize():]
	best := 0
	for id, v := range last {
		if v > last[best] {
			best = id
		}
	}
	fmt.Printf("most likely after %q: id %d\n", "hi", best)
	// Output:
	// most likely after "hi": id 190
}
