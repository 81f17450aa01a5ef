// Package fastblas chooses the float32 BLAS implementation that hot paths
// call: gonum's pure-Go one by default, OpenBLAS through cgo when the program
// is built with the "openblas" build tag (Debian: libopenblas-dev).
//
// Callers take the implementation as a value instead of calling blas32.Use,
// so no package changes global state behind another's back.
package fastblas

import "gonum.org/v1/gonum/blas"

// Float32 returns the float32 BLAS implementation this binary was built with.
func Float32() blas.Float32 { return impl }

// Name reports which implementation Float32 returns ("gonum" or "openblas"),
// for benchmark and run reports.
func Name() string { return name }
