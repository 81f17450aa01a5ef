//go:build !openblas

package fastblas

import "gonum.org/v1/gonum/blas/gonum"

var impl = gonum.Implementation{}

const name = "gonum"
