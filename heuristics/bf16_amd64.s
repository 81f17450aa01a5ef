//go:build amd64 && !purego

#include "textflag.h"

// func addBF16AVX2(acc []float64, w float64, src []byte) int
//
// acc[j] += w * float64(float32(src bits of value j << 16)), eight values a
// round; len(src) >= 2*len(acc) is the caller's to check.
TEXT ·addBF16AVX2(SB), NOSPLIT, $0-64
	MOVQ acc_base+0(FP), DI
	MOVQ acc_len+8(FP), CX
	VBROADCASTSD w+24(FP), Y0
	MOVQ src_base+32(FP), SI
	ANDQ $-8, CX
	MOVQ CX, ret+56(FP)
	JZ   done

loop:
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
	JNZ       loop
	VZEROUPPER

done:
	RET
