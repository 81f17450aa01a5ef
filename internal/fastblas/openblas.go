//go:build openblas

package fastblas

// #cgo LDFLAGS: -lopenblas
import "C"

import "gonum.org/v1/netlib/blas/netlib"

var impl = netlib.Implementation{}

const name = "openblas"
