package tokenizer

import (
	"strings"
	"testing"
)

// Throughput on the conformance corpus. The side-by-side comparison with
// the reference library is bench/tokenizer/run.sh.

func BenchmarkEncode(b *testing.B) {
	lines := corpus(b)
	size := int64(len(strings.Join(lines, "\n")))
	for _, name := range []string{"gpt2", "qwen3", "mistral-legacy", "bert-base-uncased", "t5-small"} {
		tk := loadNamed(b, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				for _, l := range lines {
					tk.Encode(l, false)
				}
			}
		})
		b.Run(name+"/batch", func(b *testing.B) {
			b.SetBytes(size)
			for b.Loop() {
				tk.EncodeBatch(lines, false)
			}
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	for _, name := range []string{"gpt2", "qwen3"} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Load(tokenizerPath(name)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
