package main

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/transplant-dev/transplant/internal/fastblas"
)

// BenchmarkSgemm runs every shape (large ones only without -short) on each
// implementation, on one thread and on all cores, reporting GFLOPS:
//
//	go test -bench . ./bench/fastblas
//	go test -tags openblas -bench . ./bench/fastblas
func BenchmarkSgemm(b *testing.B) {
	for _, s := range shapes {
		if s.large && testing.Short() {
			continue
		}
		ops := newOperands(s)
		for _, im := range impls() {
			for _, threads := range []int{1, runtime.NumCPU()} {
				b.Run(fmt.Sprintf("%s/%s/threads=%d", s.name, im.name, threads), func(b *testing.B) {
					defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(threads))
					fastblas.SetThreads(threads)
					defer fastblas.SetThreads(0)
					for b.Loop() {
						ops.call(im.blas, s)
					}
					b.ReportMetric(s.flops()*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
				})
			}
		}
	}
}
