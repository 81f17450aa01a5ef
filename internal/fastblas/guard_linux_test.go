package fastblas

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// guarded returns a zeroed slice of n floats that ends where an unreadable
// page begins, so that a kernel reading past the end of a matrix faults
// instead of passing unnoticed, and the function that unmaps it.
func guarded(n int) ([]float32, func()) {
	page := unix.Getpagesize()
	size := roundUp(max(4*n, 1), page)
	mem, err := unix.Mmap(-1, 0, size+page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		panic(err)
	}
	free := func() { unix.Munmap(mem) }
	if err := unix.Mprotect(mem[size:], unix.PROT_NONE); err != nil {
		free()
		panic(err)
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&mem[size-4*n])), n), free
}
