//go:build !amd64

package fastblas

// hasKernel is false: the micro-kernel is written for amd64 only, and
// Sgemm goes to gonum's.
const hasKernel = false

func kernel6x16(kc int, a *float32, rsA, ksA int, b, c *float32, ldc int, alpha, beta float32, load int) {
	panic("fastblas: no kernel on this architecture")
}

func packT16(dst, src *float32, ld, kb int) {
	panic("fastblas: no kernel on this architecture")
}

func kernel6x16T(kc int, a *float32, rsA, ksA int, b, c *float32, ldc int, alpha, beta float32, load int) {
	panic("fastblas: no kernel on this architecture")
}

func packN6(dst, src *float32, ld, kb int) {
	panic("fastblas: no kernel on this architecture")
}
