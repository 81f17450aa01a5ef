package omp

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// The AVX2/FMA kernels keep a block of the correlations in registers
// while they add the Gram columns' slices, which come from cache, so
// that each column costs one load and one fused multiply-add per eight
// (four) values.

//go:noescape
func tile32AVX2(dst, a0, base *float32, slots *int32, gam *float32, n int, zero *int32, nz int) float32

//go:noescape
func tile64AVX2(dst, a0, base *float64, slots *int32, gam *float64, n int, zero *int32, nz int) float64

// prefetch asks for the n bytes at p in cache. It is only a hint: it
// never faults, whatever the address.
//
//go:noescape
func prefetch(p unsafe.Pointer, n int)

var hasTileKernel = cpu.X86.HasAVX2 && cpu.X86.HasFMA

func tile32() tileFunc[float32] {
	if !hasTileKernel {
		return tileGo[float32]
	}
	return func(dst, a0, base []float32, slots []int32, gam []float32, zero []int32) float32 {
		checkTile(len(dst), len(a0), len(gam), len(slots), zero)
		return tile32AVX2(&dst[0], &a0[0], unsafe.SliceData(base), unsafe.SliceData(slots), unsafe.SliceData(gam), len(slots), unsafe.SliceData(zero), len(zero))
	}
}

func tile64() tileFunc[float64] {
	if !hasTileKernel {
		return tileGo[float64]
	}
	return func(dst, a0, base []float64, slots []int32, gam []float64, zero []int32) float64 {
		checkTile(len(dst), len(a0), len(gam), len(slots), zero)
		return tile64AVX2(&dst[0], &a0[0], unsafe.SliceData(base), unsafe.SliceData(slots), unsafe.SliceData(gam), len(slots), unsafe.SliceData(zero), len(zero))
	}
}

// checkTile panics, as an out-of-range slice index would in tileGo, when
// the assembly kernel would read or write outside its arguments. The slots
// are not checked here, for they are read t times per block and target:
// engine.prepare admits only slots of held cache columns, each a whole
// tile of every block base holds (gramCache.block).
func checkTile(dst, a0, gam, slots int, zero []int32) {
	if dst < tileRows || a0 < tileRows || gam < slots {
		panic("omp: tile kernel: short argument")
	}
	for _, z := range zero {
		if z < 0 || z >= tileRows {
			panic("omp: tile kernel: row out of range")
		}
	}
}
