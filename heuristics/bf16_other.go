//go:build !amd64 || purego

package heuristics

const haveAVX2 = false

func addBF16AVX2(acc []float64, w float64, src []byte) int { panic("unreachable") }
