//go:build amd64 && !purego

package heuristics

import "golang.org/x/sys/cpu"

// haveAVX2 reports whether addBF16AVX2 can run.
var haveAVX2 = cpu.X86.HasAVX2

// addBF16AVX2 is addBF16 for the first n values of acc, n the largest
// multiple of 8 not above len(acc), eight at a time: a multiply and an add
// for each (no fused multiply-add), rounded as the loop in Go rounds them.
// It returns n.
//
//go:noescape
func addBF16AVX2(acc []float64, w float64, src []byte) int
