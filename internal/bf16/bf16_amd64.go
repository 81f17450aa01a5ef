//go:build amd64 && !purego

package bf16

import "golang.org/x/sys/cpu"

// haveAVX2 reports whether the kernels of bf16_amd64.s can run. Each
// handles the largest multiple of 8 values not above its length and
// returns that count; the Go loop does the rest.
var haveAVX2 = cpu.X86.HasAVX2

//go:noescape
func widenAVX2(dst []float32, src []byte) int

//go:noescape
func narrowAVX2(dst []byte, src []float32) int

//go:noescape
func addScaledAVX2(acc []float64, w float64, src []byte) int
