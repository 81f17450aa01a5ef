package forward

import (
	"testing"

	"github.com/transplant-dev/transplant/safetensors/tensortest"
)

// BenchmarkNLL runs one full window of the shared model A-mistral (hidden
// 192, 4 layers, vocabulary 32000) and reports tokens per second of one
// goroutine. bench/forward/run.sh compares whole runs with PyTorch.
func BenchmarkNLL(b *testing.B) {
	m, err := Load(tensortest.SharedModel(b, "A-mistral"))
	if err != nil {
		b.Fatal(err)
	}
	T := m.Context()
	ids := make([]int, T)
	targets := make([]int, T)
	for i := range ids {
		ids[i] = (i*7919 + 13) % m.VocabSize()
		targets[i] = (i*104729 + 5) % m.VocabSize()
	}
	dst := make([]float64, T)
	b.ResetTimer()
	for b.Loop() {
		if err := m.NLL(dst, ids, targets); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(T*b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkLogSumExp is the output head's reduction over one row of a
// 32000-entry vocabulary.
func BenchmarkLogSumExp(b *testing.B) {
	row := make([]float32, 32000)
	work := make([]float32, len(row))
	for i := range row {
		row[i] = float32(i%97) * 0.1
	}
	for b.Loop() {
		copy(work, row)
		logSumExp(work)
	}
	b.ReportMetric(float64(len(row)*b.N)/b.Elapsed().Seconds()/1e9, "Gexp/s")
}
