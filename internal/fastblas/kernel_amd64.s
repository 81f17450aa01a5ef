#include "textflag.h"

// STEP multiplies one column of the A sliver (six values, rows SI,
// SI+R9, SI+2·R9, R10, R10+R9, R10+2·R9) by one row of the packed B sliver
// (sixteen values at DI) into the twelve accumulators Y4–Y15, then advances
// the pointers by one step of k.
#define STEP \
	VMOVUPS      (DI), Y0           \
	VMOVUPS      32(DI), Y1         \
	VBROADCASTSS (SI), Y2           \
	VBROADCASTSS (SI)(R9*1), Y3     \
	VFMADD231PS  Y0, Y2, Y4         \
	VFMADD231PS  Y1, Y2, Y5         \
	VFMADD231PS  Y0, Y3, Y6         \
	VFMADD231PS  Y1, Y3, Y7         \
	VBROADCASTSS (SI)(R9*2), Y2     \
	VBROADCASTSS (R10), Y3          \
	VFMADD231PS  Y0, Y2, Y8         \
	VFMADD231PS  Y1, Y2, Y9         \
	VFMADD231PS  Y0, Y3, Y10        \
	VFMADD231PS  Y1, Y3, Y11        \
	VBROADCASTSS (R10)(R9*1), Y2    \
	VBROADCASTSS (R10)(R9*2), Y3    \
	VFMADD231PS  Y0, Y2, Y12        \
	VFMADD231PS  Y1, Y2, Y13        \
	VFMADD231PS  Y0, Y3, Y14        \
	VFMADD231PS  Y1, Y3, Y15        \
	ADDQ         R11, SI            \
	ADDQ         R11, R10           \
	ADDQ         $64, DI

// ARGS and MULTIPLY are the part both kernels share: they leave alpha·X·Y
// for the tile in Y4–Y15 (row r in Y(4+2r), Y(5+2r)), C's address in DX,
// its row stride in bytes in R8, beta broadcast in Y1 and the load flag in
// BX.
#define ARGS \
	MOVQ kc+0(FP), CX           \
	MOVQ a+8(FP), SI            \
	MOVQ rsA+16(FP), R9         \
	MOVQ ksA+24(FP), R11        \
	MOVQ b+32(FP), DI           \
	MOVQ c+40(FP), DX           \
	MOVQ ldc+48(FP), R8         \
	SHLQ $2, R8                 \
	LEAQ (SI)(R9*2), R10        \
	ADDQ R9, R10

// MULTIPLY runs the k loop and scales the products by alpha: see ARGS.
#define MULTIPLY \
	VXORPS Y4, Y4, Y4           \
	VXORPS Y5, Y5, Y5           \
	VXORPS Y6, Y6, Y6           \
	VXORPS Y7, Y7, Y7           \
	VXORPS Y8, Y8, Y8           \
	VXORPS Y9, Y9, Y9           \
	VXORPS Y10, Y10, Y10        \
	VXORPS Y11, Y11, Y11        \
	VXORPS Y12, Y12, Y12        \
	VXORPS Y13, Y13, Y13        \
	VXORPS Y14, Y14, Y14        \
	VXORPS Y15, Y15, Y15        \
	MOVQ CX, BX                 \
	SHRQ $2, BX                 \
	JZ   tail                   \
loop4:                          \
	STEP                        \
	STEP                        \
	STEP                        \
	STEP                        \
	DECQ BX                     \
	JNZ  loop4                  \
tail:                           \
	ANDQ $3, CX                 \
	JZ   scale                  \
loop1:                          \
	STEP                        \
	DECQ CX                     \
	JNZ  loop1                  \
scale:                          \
	VBROADCASTSS alpha+56(FP), Y0 \
	VBROADCASTSS beta+60(FP), Y1  \
	MOVQ         load+64(FP), BX  \
	VMULPS Y0, Y4, Y4           \
	VMULPS Y0, Y5, Y5           \
	VMULPS Y0, Y6, Y6           \
	VMULPS Y0, Y7, Y7           \
	VMULPS Y0, Y8, Y8           \
	VMULPS Y0, Y9, Y9           \
	VMULPS Y0, Y10, Y10         \
	VMULPS Y0, Y11, Y11         \
	VMULPS Y0, Y12, Y12         \
	VMULPS Y0, Y13, Y13         \
	VMULPS Y0, Y14, Y14         \
	VMULPS Y0, Y15, Y15

// STORE writes one row of the tile (lo, hi) to DX, adding beta (Y1) times
// the old row when BX is set, and moves DX down a row.
#define STORE(lo, hi) \
	CMPQ   BX, $0              \
	JEQ    3(PC)               \
	VFMADD231PS (DX), Y1, lo   \
	VFMADD231PS 32(DX), Y1, hi \
	VMOVUPS lo, (DX)           \
	VMOVUPS hi, 32(DX)         \
	ADDQ   R8, DX

// PREFETCH6 asks for the six rows of sixteen floats of a tile of C (two
// lines each unless aligned) while the k loop runs. R12 walks the rows.
#define PREFETCH6 \
	MOVQ       DX, R12       \
	PREFETCHT0 (R12)         \
	PREFETCHT0 60(R12)       \
	ADDQ       R8, R12       \
	PREFETCHT0 (R12)         \
	PREFETCHT0 60(R12)       \
	ADDQ       R8, R12       \
	PREFETCHT0 (R12)         \
	PREFETCHT0 60(R12)       \
	ADDQ       R8, R12       \
	PREFETCHT0 (R12)         \
	PREFETCHT0 60(R12)       \
	ADDQ       R8, R12       \
	PREFETCHT0 (R12)         \
	PREFETCHT0 60(R12)       \
	ADDQ       R8, R12       \
	PREFETCHT0 (R12)         \
	PREFETCHT0 60(R12)

// PREFETCH2 asks for two rows of six floats of a transposed tile of C
// (two lines each unless aligned) and moves R12 down two rows.
#define PREFETCH2 \
	PREFETCHT0 (R12)         \
	PREFETCHT0 20(R12)       \
	ADDQ       R8, R12       \
	PREFETCHT0 (R12)         \
	PREFETCHT0 20(R12)       \
	ADDQ       R8, R12

// PREFETCH16 asks for the sixteen rows of six floats of a transposed tile.
#define PREFETCH16 \
	MOVQ DX, R12 \
	PREFETCH2    \
	PREFETCH2    \
	PREFETCH2    \
	PREFETCH2    \
	PREFETCH2    \
	PREFETCH2    \
	PREFETCH2    \
	PREFETCH2

// func kernel6x16(kc int, a *float32, rsA, ksA int, b, c *float32, ldc int, alpha, beta float32, load int)
TEXT ·kernel6x16(SB), NOSPLIT, $0-72
	ARGS
	PREFETCH6
	MULTIPLY
	STORE(Y4, Y5)
	STORE(Y6, Y7)
	STORE(Y8, Y9)
	STORE(Y10, Y11)
	STORE(Y12, Y13)
	STORE(Y14, Y15)
	VZEROUPPER
	RET

// TRANSPOSE6 transposes the six rows of eight in Y4, Y6, ..., Y14 into
// column pieces: columns q and q+4 of rows 0–3 end up in the lanes of
// Y12, Y14, Y0, Y4 (q = 0, 1, 2, 3), and of rows 4–5 in the 64-bit halves
// of Y8 (q = 0, 1) and Y10 (q = 2, 3). Y2, Y3, Y6 are left free.
#define TRANSPOSE6 \
	VUNPCKLPS Y6, Y4, Y0          \
	VUNPCKHPS Y6, Y4, Y2          \
	VUNPCKLPS Y10, Y8, Y4         \
	VUNPCKHPS Y10, Y8, Y6         \
	VUNPCKLPS Y14, Y12, Y8        \
	VUNPCKHPS Y14, Y12, Y10       \
	VSHUFPS   $0x44, Y4, Y0, Y12  \
	VSHUFPS   $0xEE, Y4, Y0, Y14  \
	VSHUFPS   $0x44, Y6, Y2, Y0   \
	VSHUFPS   $0xEE, Y6, Y2, Y4

// COLUMN writes one column of the tile as six consecutive floats of the C
// row at DX: rows 0–3 from s, rows 4–5 from the low (or, with HI, the high)
// 64 bits of t; adding beta (X1) times the old values when BX is set.
#define COLUMN(s, t) \
	CMPQ    BX, $0            \
	JNE     4(PC)             \
	VMOVUPS s, (DX)           \
	VMOVSD  t, 16(DX)         \
	JMP     7(PC)             \
	VMOVUPS (DX), X2          \
	VFMADD213PS s, X1, X2     \
	VMOVUPS X2, (DX)          \
	VMOVSD  16(DX), X3        \
	VFMADD213PS t, X1, X3     \
	VMOVSD  X3, 16(DX)        \
	ADDQ    R8, DX

#define COLUMNHI(s, t) \
	VMOVHLPS t, t, X6 \
	COLUMN(s, X6)

// COLUMNS8 writes the eight columns whose rows TRANSPOSE6 left in place.
#define COLUMNS8 \
	COLUMN(X12, X8)              \
	COLUMNHI(X14, X8)            \
	COLUMN(X0, X10)              \
	COLUMNHI(X4, X10)            \
	VEXTRACTF128 $1, Y12, X12    \
	VEXTRACTF128 $1, Y14, X14    \
	VEXTRACTF128 $1, Y0, X0      \
	VEXTRACTF128 $1, Y4, X4      \
	VEXTRACTF128 $1, Y8, X8      \
	VEXTRACTF128 $1, Y10, X10    \
	COLUMN(X12, X8)              \
	COLUMNHI(X14, X8)            \
	COLUMN(X0, X10)              \
	COLUMNHI(X4, X10)

// func kernel6x16T(kc int, a *float32, rsA, ksA int, b, c *float32, ldc int, alpha, beta float32, load int)
TEXT ·kernel6x16T(SB), NOSPLIT, $192-72
	ARGS
	PREFETCH16
	MULTIPLY
	// Columns 8–15 wait on the stack while 0–7 are transposed.
	VMOVUPS Y5, 0(SP)
	VMOVUPS Y7, 32(SP)
	VMOVUPS Y9, 64(SP)
	VMOVUPS Y11, 96(SP)
	VMOVUPS Y13, 128(SP)
	VMOVUPS Y15, 160(SP)
	TRANSPOSE6
	COLUMNS8
	VMOVUPS 0(SP), Y4
	VMOVUPS 32(SP), Y6
	VMOVUPS 64(SP), Y8
	VMOVUPS 96(SP), Y10
	VMOVUPS 128(SP), Y12
	VMOVUPS 160(SP), Y14
	TRANSPOSE6
	COLUMNS8
	VZEROUPPER
	RET

// TRANSPOSE8 transposes the 8×8 block in Y0–Y7 (rows) into Y8–Y15 (columns),
// using Y0–Y7 as scratch.
#define TRANSPOSE8 \
	VUNPCKLPS  Y1, Y0, Y8           \
	VUNPCKHPS  Y1, Y0, Y9           \
	VUNPCKLPS  Y3, Y2, Y10          \
	VUNPCKHPS  Y3, Y2, Y11          \
	VUNPCKLPS  Y5, Y4, Y12          \
	VUNPCKHPS  Y5, Y4, Y13          \
	VUNPCKLPS  Y7, Y6, Y14          \
	VUNPCKHPS  Y7, Y6, Y15          \
	VSHUFPS    $0x44, Y10, Y8, Y0   \
	VSHUFPS    $0xEE, Y10, Y8, Y1   \
	VSHUFPS    $0x44, Y11, Y9, Y2   \
	VSHUFPS    $0xEE, Y11, Y9, Y3   \
	VSHUFPS    $0x44, Y14, Y12, Y4  \
	VSHUFPS    $0xEE, Y14, Y12, Y5  \
	VSHUFPS    $0x44, Y15, Y13, Y6  \
	VSHUFPS    $0xEE, Y15, Y13, Y7  \
	VPERM2F128 $0x20, Y4, Y0, Y8    \
	VPERM2F128 $0x20, Y5, Y1, Y9    \
	VPERM2F128 $0x20, Y6, Y2, Y10   \
	VPERM2F128 $0x20, Y7, Y3, Y11   \
	VPERM2F128 $0x31, Y4, Y0, Y12   \
	VPERM2F128 $0x31, Y5, Y1, Y13   \
	VPERM2F128 $0x31, Y6, Y2, Y14   \
	VPERM2F128 $0x31, Y7, Y3, Y15

// LOAD8 loads eight floats from each of the eight rows starting at base
// (row stride R9, R10 = 3·R9) into Y0–Y7.
#define LOAD8(base) \
	LEAQ    (base)(R10*1), R11  \
	LEAQ    (R11)(R10*1), R12   \
	VMOVUPS (base), Y0          \
	VMOVUPS (base)(R9*1), Y1    \
	VMOVUPS (base)(R9*2), Y2    \
	VMOVUPS (R11), Y3           \
	VMOVUPS (R11)(R9*1), Y4     \
	VMOVUPS (R11)(R9*2), Y5     \
	VMOVUPS (R12), Y6           \
	VMOVUPS (R12)(R9*1), Y7

// STORE8 writes the columns in Y8–Y15 to DI+off, DI+off+64, ...: column q of
// the block becomes eight consecutive floats of packed row q.
#define STORE8(off) \
	VMOVUPS Y8, off(DI)      \
	VMOVUPS Y9, off+64(DI)   \
	VMOVUPS Y10, off+128(DI) \
	VMOVUPS Y11, off+192(DI) \
	VMOVUPS Y12, off+256(DI) \
	VMOVUPS Y13, off+320(DI) \
	VMOVUPS Y14, off+384(DI) \
	VMOVUPS Y15, off+448(DI)

// func packT16(dst, src *float32, ld, kb int)
TEXT ·packT16(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R9
	MOVQ kb+24(FP), CX
	SHLQ $2, R9
	LEAQ (R9)(R9*2), R10
	LEAQ (SI)(R9*8), DX
	SHRQ $3, CX
	JZ   done

loop:
	LOAD8(SI)
	TRANSPOSE8
	STORE8(0)
	LOAD8(DX)
	TRANSPOSE8
	STORE8(32)
	ADDQ $32, SI
	ADDQ $32, DX
	ADDQ $512, DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET

// PIECE6 writes one column of a 6-row sliver, rows 0–3 from s and rows
// 4–5 from the low 64 bits of t, to off(DI).
#define PIECE6(s, t, off) \
	VMOVUPS s, off(DI)   \
	VMOVSD  t, off+16(DI)

// func packN6(dst, src *float32, ld, kb int)
TEXT ·packN6(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ ld+16(FP), R9
	MOVQ kb+24(FP), CX
	SHLQ $2, R9
	LEAQ (SI)(R9*2), R10
	ADDQ R9, R10
	SHRQ $3, CX
	JZ   done

loop:
	VMOVUPS (SI), Y4
	VMOVUPS (SI)(R9*1), Y6
	VMOVUPS (SI)(R9*2), Y8
	VMOVUPS (R10), Y10
	VMOVUPS (R10)(R9*1), Y12
	VMOVUPS (R10)(R9*2), Y14
	TRANSPOSE6
	VMOVHLPS X8, X8, X5
	VMOVHLPS X10, X10, X7
	PIECE6(X12, X8, 0)
	PIECE6(X14, X5, 24)
	PIECE6(X0, X10, 48)
	PIECE6(X4, X7, 72)
	VEXTRACTF128 $1, Y12, X12
	VEXTRACTF128 $1, Y14, X14
	VEXTRACTF128 $1, Y0, X0
	VEXTRACTF128 $1, Y4, X4
	VEXTRACTF128 $1, Y8, X8
	VEXTRACTF128 $1, Y10, X10
	VMOVHLPS X8, X8, X5
	VMOVHLPS X10, X10, X7
	PIECE6(X12, X8, 96)
	PIECE6(X14, X5, 120)
	PIECE6(X0, X10, 144)
	PIECE6(X4, X7, 168)
	ADDQ $32, SI
	ADDQ $32, R10
	ADDQ $192, DI
	DECQ CX
	JNZ  loop

done:
	VZEROUPPER
	RET
