//go:build amd64 && !purego

package safetensors

import "golang.org/x/sys/cpu"

// haveAVX2 reports whether the AVX2 kernels can run.
var haveAVX2 = cpu.X86.HasAVX2

// narrowBF16AVX2 is narrowBF16 for the first n values of src, n the
// largest multiple of 8 not above len(src), eight at a time, to the same
// bits. It returns n.
//
//go:noescape
func narrowBF16AVX2(dst []byte, src []float32) int

// widenBF16AVX2 is widenBF16 for the first n values of dst, n the largest
// multiple of 8 not above len(dst), eight at a time. It returns n.
//
//go:noescape
func widenBF16AVX2(dst []float32, src []byte) int
