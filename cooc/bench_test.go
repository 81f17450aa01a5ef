package cooc

import (
	"context"
	"strings"
	"testing"
)

// The benchmarks run on the synthetic text of the tests (about 1 MB, a
// 5,000-word vocabulary); bench/cooc measures real texts and tokenizers.

func BenchmarkCount(b *testing.B) {
	tok, text := synthetic(b, 5000, 40_000)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, err := Count(context.Background(), tok, strings.NewReader(text), CountOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVectors(b *testing.B) {
	tok, text := synthetic(b, 5000, 40_000)
	counts, err := Count(context.Background(), tok, strings.NewReader(text), CountOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := counts.Vectors(context.Background(), VectorOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
