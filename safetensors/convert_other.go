//go:build !amd64 || purego

package safetensors

const haveAVX2 = false

func narrowBF16AVX2(dst []byte, src []float32) int { panic("unreachable") }

func widenBF16AVX2(dst []float32, src []byte) int { panic("unreachable") }
