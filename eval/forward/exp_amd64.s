//go:build amd64 && !purego

#include "textflag.h"

// Constants, each repeated in the 8 lanes of a YMM register.
// log2(e)
DATA expLog2e<>+0(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+4(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+8(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+12(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+16(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+20(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+24(SB)/4, $0x3fb8aa3b
DATA expLog2e<>+28(SB)/4, $0x3fb8aa3b
GLOBL expLog2e<>(SB), RODATA|NOPTR, $32

// ln 2, high part (n·hi exact)
DATA expLn2Hi<>+0(SB)/4, $0x3f317200
DATA expLn2Hi<>+4(SB)/4, $0x3f317200
DATA expLn2Hi<>+8(SB)/4, $0x3f317200
DATA expLn2Hi<>+12(SB)/4, $0x3f317200
DATA expLn2Hi<>+16(SB)/4, $0x3f317200
DATA expLn2Hi<>+20(SB)/4, $0x3f317200
DATA expLn2Hi<>+24(SB)/4, $0x3f317200
DATA expLn2Hi<>+28(SB)/4, $0x3f317200
GLOBL expLn2Hi<>(SB), RODATA|NOPTR, $32

// ln 2, low part
DATA expLn2Lo<>+0(SB)/4, $0x35bfbe8e
DATA expLn2Lo<>+4(SB)/4, $0x35bfbe8e
DATA expLn2Lo<>+8(SB)/4, $0x35bfbe8e
DATA expLn2Lo<>+12(SB)/4, $0x35bfbe8e
DATA expLn2Lo<>+16(SB)/4, $0x35bfbe8e
DATA expLn2Lo<>+20(SB)/4, $0x35bfbe8e
DATA expLn2Lo<>+24(SB)/4, $0x35bfbe8e
DATA expLn2Lo<>+28(SB)/4, $0x35bfbe8e
GLOBL expLn2Lo<>(SB), RODATA|NOPTR, $32

// -87.3: below it e^x is under the smallest normal float32
DATA expMin<>+0(SB)/4, $0xc2ae999a
DATA expMin<>+4(SB)/4, $0xc2ae999a
DATA expMin<>+8(SB)/4, $0xc2ae999a
DATA expMin<>+12(SB)/4, $0xc2ae999a
DATA expMin<>+16(SB)/4, $0xc2ae999a
DATA expMin<>+20(SB)/4, $0xc2ae999a
DATA expMin<>+24(SB)/4, $0xc2ae999a
DATA expMin<>+28(SB)/4, $0xc2ae999a
GLOBL expMin<>(SB), RODATA|NOPTR, $32

// 1/7!
DATA expC7<>+0(SB)/4, $0x39500d01
DATA expC7<>+4(SB)/4, $0x39500d01
DATA expC7<>+8(SB)/4, $0x39500d01
DATA expC7<>+12(SB)/4, $0x39500d01
DATA expC7<>+16(SB)/4, $0x39500d01
DATA expC7<>+20(SB)/4, $0x39500d01
DATA expC7<>+24(SB)/4, $0x39500d01
DATA expC7<>+28(SB)/4, $0x39500d01
GLOBL expC7<>(SB), RODATA|NOPTR, $32

// 1/6!
DATA expC6<>+0(SB)/4, $0x3ab60b61
DATA expC6<>+4(SB)/4, $0x3ab60b61
DATA expC6<>+8(SB)/4, $0x3ab60b61
DATA expC6<>+12(SB)/4, $0x3ab60b61
DATA expC6<>+16(SB)/4, $0x3ab60b61
DATA expC6<>+20(SB)/4, $0x3ab60b61
DATA expC6<>+24(SB)/4, $0x3ab60b61
DATA expC6<>+28(SB)/4, $0x3ab60b61
GLOBL expC6<>(SB), RODATA|NOPTR, $32

// 1/5!
DATA expC5<>+0(SB)/4, $0x3c088889
DATA expC5<>+4(SB)/4, $0x3c088889
DATA expC5<>+8(SB)/4, $0x3c088889
DATA expC5<>+12(SB)/4, $0x3c088889
DATA expC5<>+16(SB)/4, $0x3c088889
DATA expC5<>+20(SB)/4, $0x3c088889
DATA expC5<>+24(SB)/4, $0x3c088889
DATA expC5<>+28(SB)/4, $0x3c088889
GLOBL expC5<>(SB), RODATA|NOPTR, $32

// 1/4!
DATA expC4<>+0(SB)/4, $0x3d2aaaab
DATA expC4<>+4(SB)/4, $0x3d2aaaab
DATA expC4<>+8(SB)/4, $0x3d2aaaab
DATA expC4<>+12(SB)/4, $0x3d2aaaab
DATA expC4<>+16(SB)/4, $0x3d2aaaab
DATA expC4<>+20(SB)/4, $0x3d2aaaab
DATA expC4<>+24(SB)/4, $0x3d2aaaab
DATA expC4<>+28(SB)/4, $0x3d2aaaab
GLOBL expC4<>(SB), RODATA|NOPTR, $32

// 1/3!
DATA expC3<>+0(SB)/4, $0x3e2aaaab
DATA expC3<>+4(SB)/4, $0x3e2aaaab
DATA expC3<>+8(SB)/4, $0x3e2aaaab
DATA expC3<>+12(SB)/4, $0x3e2aaaab
DATA expC3<>+16(SB)/4, $0x3e2aaaab
DATA expC3<>+20(SB)/4, $0x3e2aaaab
DATA expC3<>+24(SB)/4, $0x3e2aaaab
DATA expC3<>+28(SB)/4, $0x3e2aaaab
GLOBL expC3<>(SB), RODATA|NOPTR, $32

// 1/2
DATA expC2<>+0(SB)/4, $0x3f000000
DATA expC2<>+4(SB)/4, $0x3f000000
DATA expC2<>+8(SB)/4, $0x3f000000
DATA expC2<>+12(SB)/4, $0x3f000000
DATA expC2<>+16(SB)/4, $0x3f000000
DATA expC2<>+20(SB)/4, $0x3f000000
DATA expC2<>+24(SB)/4, $0x3f000000
DATA expC2<>+28(SB)/4, $0x3f000000
GLOBL expC2<>(SB), RODATA|NOPTR, $32

// 1
DATA expOne<>+0(SB)/4, $0x3f800000
DATA expOne<>+4(SB)/4, $0x3f800000
DATA expOne<>+8(SB)/4, $0x3f800000
DATA expOne<>+12(SB)/4, $0x3f800000
DATA expOne<>+16(SB)/4, $0x3f800000
DATA expOne<>+20(SB)/4, $0x3f800000
DATA expOne<>+24(SB)/4, $0x3f800000
DATA expOne<>+28(SB)/4, $0x3f800000
GLOBL expOne<>(SB), RODATA|NOPTR, $32

// float32 exponent bias (int32)
DATA expBias<>+0(SB)/4, $0x0000007f
DATA expBias<>+4(SB)/4, $0x0000007f
DATA expBias<>+8(SB)/4, $0x0000007f
DATA expBias<>+12(SB)/4, $0x0000007f
DATA expBias<>+16(SB)/4, $0x0000007f
DATA expBias<>+20(SB)/4, $0x0000007f
DATA expBias<>+24(SB)/4, $0x0000007f
DATA expBias<>+28(SB)/4, $0x0000007f
GLOBL expBias<>(SB), RODATA|NOPTR, $32

// func expSumAVX2(x []float32, m float32) float64
//
// Sets x[i] = exp(x[i] - m) and returns the sum, accumulated in float64.
// len(x) must be a positive multiple of 8 and every x[i] - m ≤ 0 (m is the
// maximum): then the power of two below never overflows. Same method as
// expf: e^t = 2^n · e^r, n = round(t·log2 e), |r| ≤ ln2/2, degree-7 series.
TEXT ·expSumAVX2(SB), NOSPLIT, $0-40
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VBROADCASTSS m+24(FP), Y15
	VXORPD       Y0, Y0, Y0
	VXORPD       Y1, Y1, Y1

loop:
	VMOVUPS      (SI), Y2
	VSUBPS       Y15, Y2, Y2               // t = x - m
	VMAXPS       expMin<>(SB), Y2, Y2      // t = max(t, -87.3)
	VMULPS       expLog2e<>(SB), Y2, Y3
	VROUNDPS     $0, Y3, Y3                // n = round(t·log2 e)
	VFNMADD231PS expLn2Hi<>(SB), Y3, Y2    // r = t - n·ln2hi
	VFNMADD231PS expLn2Lo<>(SB), Y3, Y2    // r -= n·ln2lo
	VMOVUPS      expC7<>(SB), Y4
	VFMADD213PS  expC6<>(SB), Y2, Y4       // p = p·r + c
	VFMADD213PS  expC5<>(SB), Y2, Y4
	VFMADD213PS  expC4<>(SB), Y2, Y4
	VFMADD213PS  expC3<>(SB), Y2, Y4
	VFMADD213PS  expC2<>(SB), Y2, Y4
	VFMADD213PS  expOne<>(SB), Y2, Y4
	VFMADD213PS  expOne<>(SB), Y2, Y4
	VCVTPS2DQ    Y3, Y3
	VPADDD       expBias<>(SB), Y3, Y3
	VPSLLD       $23, Y3, Y3               // 2^n
	VMULPS       Y3, Y4, Y4
	VMOVUPS      Y4, (SI)
	VCVTPS2PD    X4, Y5
	VEXTRACTF128 $1, Y4, X6
	VCVTPS2PD    X6, Y6
	VADDPD       Y5, Y0, Y0
	VADDPD       Y6, Y1, Y1
	ADDQ         $32, SI
	SUBQ         $8, CX
	JNZ          loop

	VADDPD       Y1, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VHADDPD      X0, X0, X0
	VZEROUPPER
	MOVSD        X0, ret+32(FP)
	RET

// func maxAVX2(x []float32) float32
//
// Returns the largest x[i]; len(x) must be a positive multiple of 8.
TEXT ·maxAVX2(SB), NOSPLIT, $0-28
	MOVQ         x_base+0(FP), SI
	MOVQ         x_len+8(FP), CX
	VMOVUPS      (SI), Y0

maxloop:
	VMAXPS       (SI), Y0, Y0
	ADDQ         $32, SI
	SUBQ         $8, CX
	JNZ          maxloop

	VEXTRACTF128 $1, Y0, X1
	VMAXPS       X1, X0, X0
	VMOVHLPS     X0, X0, X1
	VMAXPS       X1, X0, X0
	VPSHUFD      $1, X0, X1
	VMAXPS       X1, X0, X0
	VZEROUPPER
	MOVSS        X0, ret+24(FP)
	RET
