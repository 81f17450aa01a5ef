package bf16

import "testing"

// BenchmarkAddScaled adds one bfloat16 row of a 4096-wide table, as a
// subword row adds each of its pieces.
func BenchmarkAddScaled(b *testing.B) {
	acc := make([]float64, 4096)
	src := make([]byte, 2*len(acc))
	for i := range src {
		src[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		AddScaled(acc, 0.5, src)
	}
}
