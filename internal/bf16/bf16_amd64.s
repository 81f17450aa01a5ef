//go:build amd64 && !purego

#include "textflag.h"

// Constants, each repeated in the 8 lanes of a YMM register.
DATA bf16Abs<>+0(SB)/8, $0x7fffffff7fffffff
DATA bf16Abs<>+8(SB)/8, $0x7fffffff7fffffff
DATA bf16Abs<>+16(SB)/8, $0x7fffffff7fffffff
DATA bf16Abs<>+24(SB)/8, $0x7fffffff7fffffff
GLOBL bf16Abs<>(SB), RODATA|NOPTR, $32

DATA bf16Inf<>+0(SB)/8, $0x7f8000007f800000
DATA bf16Inf<>+8(SB)/8, $0x7f8000007f800000
DATA bf16Inf<>+16(SB)/8, $0x7f8000007f800000
DATA bf16Inf<>+24(SB)/8, $0x7f8000007f800000
GLOBL bf16Inf<>(SB), RODATA|NOPTR, $32

DATA bf16One<>+0(SB)/8, $0x0000000100000001
DATA bf16One<>+8(SB)/8, $0x0000000100000001
DATA bf16One<>+16(SB)/8, $0x0000000100000001
DATA bf16One<>+24(SB)/8, $0x0000000100000001
GLOBL bf16One<>(SB), RODATA|NOPTR, $32

DATA bf16Half<>+0(SB)/8, $0x00007fff00007fff
DATA bf16Half<>+8(SB)/8, $0x00007fff00007fff
DATA bf16Half<>+16(SB)/8, $0x00007fff00007fff
DATA bf16Half<>+24(SB)/8, $0x00007fff00007fff
GLOBL bf16Half<>(SB), RODATA|NOPTR, $32

DATA bf16NaN<>+0(SB)/8, $0x00007fc000007fc0
DATA bf16NaN<>+8(SB)/8, $0x00007fc000007fc0
DATA bf16NaN<>+16(SB)/8, $0x00007fc000007fc0
DATA bf16NaN<>+24(SB)/8, $0x00007fc000007fc0
GLOBL bf16NaN<>(SB), RODATA|NOPTR, $32

// func narrowAVX2(dst []byte, src []float32) int
//
// Float32ToBFloat16 on eight values a round: u + 0x7fff + (u>>16)&1, its
// top half, and 0x7fc0 for a NaN. len(dst) >= 2*len(src) is the caller's
// to check.
TEXT ·narrowAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ src_len+32(FP), CX
	ANDQ $-8, CX
	MOVQ CX, ret+48(FP)
	JZ   done
	VMOVDQU bf16Abs<>(SB), Y8
	VMOVDQU bf16Inf<>(SB), Y9
	VMOVDQU bf16One<>(SB), Y10
	VMOVDQU bf16Half<>(SB), Y11
	VMOVDQU bf16NaN<>(SB), Y12

loop:
	VMOVDQU  (SI), Y1
	VPAND    Y8, Y1, Y2
	VPCMPGTD Y9, Y2, Y2       // NaN lanes: |u| > 0x7f800000
	VPSRLD   $16, Y1, Y3
	VPAND    Y10, Y3, Y3      // (u>>16)&1
	VPADDD   Y11, Y1, Y4
	VPADDD   Y3, Y4, Y4
	VPSRLD   $16, Y4, Y4
	VPBLENDVB Y2, Y12, Y4, Y4 // NaN lanes take 0x7fc0
	VEXTRACTI128 $1, Y4, X5
	VPACKUSDW X5, X4, X4      // eight uint16, values 0–3 then 4–7
	VMOVDQU  X4, (DI)
	ADDQ     $32, SI
	ADDQ     $16, DI
	SUBQ     $8, CX
	JNZ      loop
	VZEROUPPER

done:
	RET

// func widenAVX2(dst []float32, src []byte) int
//
// BFloat16ToFloat32 on eight values a round. len(src) >= 2*len(dst) is the
// caller's to check.
TEXT ·widenAVX2(SB), NOSPLIT, $0-56
	MOVQ dst_base+0(FP), DI
	MOVQ dst_len+8(FP), CX
	MOVQ src_base+24(FP), SI
	ANDQ $-8, CX
	MOVQ CX, ret+48(FP)
	JZ   wdone

wloop:
	VPMOVZXWD (SI), Y1
	VPSLLD    $16, Y1, Y1
	VMOVDQU   Y1, (DI)
	ADDQ      $16, SI
	ADDQ      $32, DI
	SUBQ      $8, CX
	JNZ       wloop
	VZEROUPPER

wdone:
	RET

// func addScaledAVX2(acc []float64, w float64, src []byte) int
//
// acc[j] += w * float64(float32(src bits of value j << 16)), eight values a
// round; len(src) >= 2*len(acc) is the caller's to check.
TEXT ·addScaledAVX2(SB), NOSPLIT, $0-64
	MOVQ acc_base+0(FP), DI
	MOVQ acc_len+8(FP), CX
	VBROADCASTSD w+24(FP), Y0
	MOVQ src_base+32(FP), SI
	ANDQ $-8, CX
	MOVQ CX, ret+56(FP)
	JZ   adone

aloop:
	VPMOVZXWD (SI), Y1       // eight bfloat16 bit patterns → eight uint32
	VPSLLD    $16, Y1, Y1    // … the float32s they widen to
	VCVTPS2PD X1, Y2         // values 0–3 as float64
	VEXTRACTI128 $1, Y1, X3
	VCVTPS2PD X3, Y3         // values 4–7
	VMULPD    Y0, Y2, Y2
	VMULPD    Y0, Y3, Y3
	VADDPD    (DI), Y2, Y2
	VADDPD    32(DI), Y3, Y3
	VMOVUPD   Y2, (DI)
	VMOVUPD   Y3, 32(DI)
	ADDQ      $16, SI
	ADDQ      $64, DI
	SUBQ      $8, CX
	JNZ       aloop
	VZEROUPPER

adone:
	RET
