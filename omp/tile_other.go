//go:build !amd64

package omp

import "unsafe"

// prefetch is a hint this build does not give.
func prefetch(unsafe.Pointer, int) {}

func tile32() tileFunc[float32] { return tileGo[float32] }

func tile64() tileFunc[float64] { return tileGo[float64] }
