//go:build !openblas

package fastblas

var impl = goBLAS{}

const name = "gonum"

// setLibraryThreads has nothing to tell in the pure-Go build: its Sgemm
// reads Threads on every call.
func setLibraryThreads(int) {}
