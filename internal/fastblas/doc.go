// Package fastblas chooses the float32 BLAS implementation that hot paths
// call: a pure-Go one by default, OpenBLAS through cgo when the program is
// built with the "openblas" build tag (Debian: libopenblas-dev).
//
// The pure-Go implementation is gonum's with Sgemm replaced, on amd64 CPUs
// with AVX2 and FMA, by a blocked product in the style of BLIS and
// OpenBLAS: op(A) and op(B) are copied ("packed") into panels laid out in
// the order an assembly micro-kernel reads them, the kernel keeps a 6×16
// tile of C in registers and accumulates it with fused multiply-adds, and
// the panels are sized so that what the kernel rereads stays in L1 and L2.
// The product is cut along the longer side of C into pieces that
// goroutines take in turn. Products too small to repay the packing, and
// CPUs without AVX2/FMA, go to gonum's Sgemm.
//
// Callers take the implementation as a value instead of calling blas32.Use,
// so no package changes global state behind another's back. The one
// process-wide setting is the thread count (SetThreads), because OpenBLAS
// keeps its own.
package fastblas
