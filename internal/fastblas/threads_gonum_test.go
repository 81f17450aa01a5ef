//go:build !openblas

package fastblas

// libraryThreads reports that the pure-Go build has no library thread pool.
func libraryThreads() (int, bool) { return 0, false }
