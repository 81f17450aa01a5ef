//go:build amd64 && !purego

package forward

import "golang.org/x/sys/cpu"

// haveAVX2 reports whether the AVX2+FMA kernels of exp_amd64.s can run.
var haveAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func expSumAVX2(x []float32, m float32) float64

//go:noescape
func maxAVX2(x []float32) float32
