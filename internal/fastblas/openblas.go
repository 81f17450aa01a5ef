//go:build openblas

package fastblas

import (
	"gonum.org/v1/netlib/blas/netlib"

	"github.com/transplant-dev/transplant/internal/fastblas/openblas"
)

var impl = netlib.Implementation{}

const name = "openblas"

// setLibraryThreads sizes OpenBLAS's thread pool.
func setLibraryThreads(n int) { openblas.SetThreads(n) }
