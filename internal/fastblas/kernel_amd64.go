package fastblas

import "golang.org/x/sys/cpu"

// hasKernel reports whether this CPU runs the AVX2/FMA micro-kernel. The
// operating system's support for the YMM state is part of cpu.X86.HasAVX.
var hasKernel = cpu.X86.HasAVX && cpu.X86.HasAVX2 && cpu.X86.HasFMA

// kernel6x16 multiplies a 6×kc sliver of A by a packed kc×16 sliver of B and
// writes alpha·AB (load == 0) or alpha·AB + beta·C (load != 0) to the 6×16
// tile of C with row stride ldc. Element (i, p) of the A sliver is at byte
// offset i·rsA + p·ksA from a; the B sliver holds row p at b[16p:16p+16].
//
//go:noescape
func kernel6x16(kc int, a *float32, rsA, ksA int, b, c *float32, ldc int, alpha, beta float32, load int)

// packT16 packs sixteen rows of a row-major matrix (row stride ld) into the
// k-major layout of a B sliver: dst[16p+j] = src[j·ld+p] for p < kb, which
// must be a multiple of 8.
//
//go:noescape
func packT16(dst, src *float32, ld, kb int)

// kernel6x16T is kernel6x16 writing the tile transposed: element (r, q)
// of the tile goes to c[q·ldc+r].
//
//go:noescape
func kernel6x16T(kc int, a *float32, rsA, ksA int, b, c *float32, ldc int, alpha, beta float32, load int)

// packN6 packs six rows of a row-major matrix (row stride ld) into the
// layout of an X sliver: dst[6p+r] = src[r·ld+p] for p < kb, which must be
// a multiple of 8.
//
//go:noescape
func packN6(dst, src *float32, ld, kb int)
