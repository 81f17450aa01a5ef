package omp

import (
	"context"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

// BenchmarkSolve and BenchmarkFullCorrelation run the same embedding-like
// problem (4096 anchors, hidden 256, 512 targets, K = 32), so that
//
//	go test -run - -bench 'BenchmarkSolve$|BenchmarkFullCorrelation' ./omp
//
// compares them side by side, in either build; bench/omp has the
// full-size comparison.
func BenchmarkSolve(b *testing.B) {
	benchmark(b, Solve)
}

func BenchmarkFullCorrelation(b *testing.B) {
	benchmark(b, SolveFullCorrelation)
}

func benchmark(b *testing.B, solve func(context.Context, blas32.General, blas32.General, Options) (*Solution, error)) {
	d := structured(100, 4096, 256, 32)
	x := structured(101, 512, 256, 32)
	b.ResetTimer()
	for range b.N {
		if _, err := solve(context.Background(), d, x, Options{K: 32}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*x.Rows), "µs/target")
}
