package fastblas

import (
	"math/rand/v2"
	"runtime"
	"testing"
)

func TestSetThreads(t *testing.T) {
	defer SetThreads(0)
	for _, n := range []int{3, 1, 0, -2} {
		SetThreads(n)
		want := n
		if n <= 0 {
			want = runtime.GOMAXPROCS(0)
		}
		if got := Threads(); got != want {
			t.Errorf("SetThreads(%d): Threads() = %d, want %d", n, got, want)
		}
		if got, ok := libraryThreads(); ok && got != want {
			t.Errorf("SetThreads(%d): the library has %d threads, want %d", n, got, want)
		}
	}
}

// Concurrent calls, each on several goroutines, share the workspace pool
// and must not disturb one another (run with -race).
func TestSgemmConcurrent(t *testing.T) {
	ims := implementations()
	done := make(chan struct{})
	for g := range 6 {
		go func() {
			defer func() { done <- struct{}{} }()
			rng := rand.New(rand.NewPCG(uint64(g), 7))
			for range 3 {
				gc := gemmCase{tA: transposes[g%2], tB: transposes[g/2%2],
					m: 20 + rng.IntN(300), n: 20 + rng.IntN(600), k: 1 + rng.IntN(300),
					alpha: 1.5, beta: 0.25, pad: g % 3}
				check(t, ims, gc, integers(rng), 0)
			}
		}()
	}
	for range 6 {
		<-done
	}
}
