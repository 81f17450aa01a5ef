//go:build !amd64 || purego

package bf16

const haveAVX2 = false

func widenAVX2(dst []float32, src []byte) int { panic("unreachable") }

func narrowAVX2(dst []byte, src []float32) int { panic("unreachable") }

func addScaledAVX2(acc []float64, w float64, src []byte) int { panic("unreachable") }
