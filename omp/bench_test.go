package omp

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkSolve and BenchmarkFullCorrelation run the same embedding-like
// problem (4096 anchors, hidden 256, 512 targets, K = 32), so that
//
//	go test -bench 'Solve|FullCorrelation' ./omp
//
// compares them side by side; bench/omp has the full-size comparison.
func BenchmarkSolve(b *testing.B) {
	benchmark(b, func(opts Options) error {
		_, err := Solve(context.Background(), benchDict, benchTargets, opts)
		return err
	})
}

func BenchmarkFullCorrelation(b *testing.B) {
	benchmark(b, func(opts Options) error {
		_, err := SolveFullCorrelation(context.Background(), benchDict, benchTargets, opts)
		return err
	})
}

var (
	benchDict    = structured(100, 4096, 256, 32)
	benchTargets = structured(101, 512, 256, 32)
)

func benchmark(b *testing.B, solve func(Options) error) {
	for _, k := range []int{32} {
		b.Run(fmt.Sprintf("k=%d", k), func(b *testing.B) {
			for range b.N {
				if err := solve(Options{K: k}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*benchTargets.Rows), "µs/target")
		})
	}
}

func BenchmarkSolveMid(b *testing.B) {
	d := structured(102, 16384, 512, 64)
	x := structured(103, 1024, 512, 64)
	b.ResetTimer()
	for range b.N {
		sol, err := Solve(context.Background(), d, x, Options{K: 64})
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%+v", sol.Stats)
	}
}
