package fastblas

import "gonum.org/v1/gonum/blas"

// Float32 returns the float32 BLAS implementation this binary was built with.
func Float32() blas.Float32 { return impl }

// Name reports which implementation Float32 returns ("gonum" or "openblas"),
// for benchmark and run reports. The pure-Go build keeps the name "gonum":
// every routine but Sgemm is gonum's.
func Name() string { return name }

// PureGo returns the pure-Go implementation in either build, so that
// benchmarks and tests can set it beside OpenBLAS.
func PureGo() blas.Float32 { return goBLAS{} }

// Accelerated reports whether the pure-Go Sgemm runs the AVX2/FMA kernel on
// this CPU; without it every product goes to gonum's Sgemm.
func Accelerated() bool { return hasKernel }
