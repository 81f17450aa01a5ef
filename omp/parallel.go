package omp

import (
	"context"
	"sync"
)

// forEach calls f(w, i) for every i in [0, n), spreading the calls over one
// goroutine per worker; each goroutine owns its w. It stops handing out
// work once ctx is done.
func forEach[W any](ctx context.Context, workers []W, n int, f func(w W, i int)) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for _, w := range workers[:min(len(workers), n)] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(w, i)
			}
		}()
	}
	wg.Wait()
}
