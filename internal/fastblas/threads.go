package fastblas

import (
	"runtime"
	"sync/atomic"
)

// threads is the goroutine count of the pure-Go Sgemm; 0 means GOMAXPROCS.
// It is process-wide because OpenBLAS's own thread count is.
var threads atomic.Int64

// SetThreads sets how many threads one BLAS call may use, for the whole
// process: the goroutines of the pure-Go Sgemm and, in the openblas build,
// OpenBLAS's thread pool. n ≤ 0 restores the default, GOMAXPROCS.
//
// Code that already runs several BLAS calls at once (one per window, one
// per block) should set 1; code that makes one large call at a time should
// leave the default.
func SetThreads(n int) {
	threads.Store(int64(max(n, 0)))
	setLibraryThreads(Threads())
}

// Threads reports how many threads one BLAS call may use.
func Threads() int {
	if n := threads.Load(); n > 0 {
		return int(n)
	}
	return runtime.GOMAXPROCS(0)
}
