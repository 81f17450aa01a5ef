package omp

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// BenchmarkUpdate times the correlation update alone on a state shaped
// like step 32 of the "medium" problem: 32768 anchors, 6000 cached Gram
// columns of which targets use popular ones most (Zipf), 32 per target.
func BenchmarkUpdate(b *testing.B) {
	const n, used, steps = 32768, 6000, 32
	for _, batch := range []int{1024, 4096} {
		for _, threads := range []int{1, 2} {
			e := syntheticEngine(n, used, batch, steps, threads)
			active := make([]int, batch)
			for i := range active {
				active[i] = i
			}
			b.Run(fmt.Sprintf("batch%d/threads%d", batch, threads), func(b *testing.B) {
				for range b.N {
					e.update(context.Background(), active)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch*steps*e.nb), "ns/slice")
			})
		}
	}
}

func syntheticEngine(n, used, batch, steps, threads int) *engine[float32] {
	rng := rand.New(rand.NewPCG(3, 4))
	d := gaussian(1, n, 4)
	opt, _ := Options{K: 64, Threads: threads}.resolved(n)
	e := newEngine(kernels32(), d, opt, batch, used)
	col := make([]float32, e.nb*tileRows)
	for a := range used {
		for i := range n {
			col[i] = float32(rng.NormFloat64())
		}
		if err := e.cache.insert(int32(a), col); err != nil {
			panic(err)
		}
	}
	for i := range e.alpha0 {
		e.alpha0[i] = float32(rng.NormFloat64())
	}
	zipf := rand.NewZipf(rand.New(rand.NewPCG(5, 6)), 1.1, 10, uint64(used-1))
	for a := range batch {
		sc := &e.scr[a]
		for len(sc.zero) < steps {
			s := int32(zipf.Uint64())
			if !slices.Contains(sc.zero, s) {
				sc.zero = append(sc.zero, s)
				sc.slots = append(sc.slots, e.cache.slot(s))
				sc.gam = append(sc.gam, float32(rng.NormFloat64()))
			}
		}
		slices.Sort(sc.zero)
	}
	return e
}
