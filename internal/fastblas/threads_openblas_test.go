//go:build openblas

package fastblas

import "github.com/transplant-dev/transplant/internal/fastblas/openblas"

// libraryThreads reports the size of OpenBLAS's thread pool.
func libraryThreads() (int, bool) { return openblas.Threads(), true }
