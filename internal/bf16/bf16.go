// Package bf16 converts bfloat16 values in bulk: widening to float32,
// narrowing to nearest even, and adding a scaled row to float64 sums.
// With AVX2 it works eight values at a time, to the bits of the scalar
// rules (Widen32 and Narrow32); elsewhere, or under the purego tag, it
// runs the same rules in Go.
package bf16

import (
	"encoding/binary"
	"math"
)

// Widen32 widens a bfloat16 bit pattern. bfloat16 is the top half of a
// float32, so this is exact for every value including NaN payloads.
func Widen32(b uint16) float32 { return math.Float32frombits(uint32(b) << 16) }

// Narrow32 narrows f to bfloat16, rounding to nearest with ties to even.
// Every NaN becomes the quiet NaN 0x7FC0 (torch's scalar rule); rounding a
// NaN's bits could otherwise carry it into infinity.
func Narrow32(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return 0x7fc0
	}
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}

// Widen widens the little-endian bfloat16 values of src into dst,
// len(src) >= 2*len(dst).
func Widen(dst []float32, src []byte) {
	src = src[:2*len(dst)]
	i := 0
	if haveAVX2 {
		i = widenAVX2(dst, src)
	}
	for ; i+4 <= len(dst); i += 4 {
		u := binary.LittleEndian.Uint64(src[2*i : 2*i+8])
		d := dst[i : i+4 : i+4]
		d[0] = math.Float32frombits(uint32(u) << 16)
		d[1] = math.Float32frombits(uint32(u>>16) << 16)
		d[2] = math.Float32frombits(uint32(u>>32) << 16)
		d[3] = math.Float32frombits(uint32(u>>48) << 16)
	}
	for ; i < len(dst); i++ {
		dst[i] = Widen32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

// Narrow writes src into dst as little-endian bfloat16 with Narrow32's
// rounding, len(dst) >= 2*len(src).
func Narrow(dst []byte, src []float32) {
	dst = dst[:2*len(src)]
	i := 0
	if haveAVX2 {
		i = narrowAVX2(dst, src)
	}
	for ; i+4 <= len(src); i += 4 {
		s := src[i : i+4 : i+4]
		u := uint64(Narrow32(s[0])) | uint64(Narrow32(s[1]))<<16 | uint64(Narrow32(s[2]))<<32 | uint64(Narrow32(s[3]))<<48
		binary.LittleEndian.PutUint64(dst[2*i:2*i+8], u)
	}
	for ; i < len(src); i++ {
		binary.LittleEndian.PutUint16(dst[2*i:], Narrow32(src[i]))
	}
}

// AddScaled adds w times the bfloat16 row src to acc, len(src) >=
// 2*len(acc): acc[j] += w * float64(v), v the float32 the j-th value widens
// to, a multiply then an add, as Go rounds the expression.
func AddScaled(acc []float64, w float64, src []byte) {
	src = src[:2*len(acc)]
	j := 0
	if haveAVX2 {
		j = addScaledAVX2(acc, w, src)
	}
	addScaledGo(acc[j:], w, src[2*j:])
}

// addScaledGo is AddScaled in Go, four values at a time.
func addScaledGo(acc []float64, w float64, src []byte) {
	j := 0
	for ; j+4 <= len(acc); j += 4 {
		u := binary.LittleEndian.Uint64(src[2*j : 2*j+8])
		a := acc[j : j+4 : j+4]
		a[0] += w * float64(math.Float32frombits(uint32(u)<<16))
		a[1] += w * float64(math.Float32frombits(uint32(u>>16)<<16))
		a[2] += w * float64(math.Float32frombits(uint32(u>>32)<<16))
		a[3] += w * float64(math.Float32frombits(uint32(u>>48)<<16))
	}
	for ; j < len(acc); j++ {
		acc[j] += w * float64(Widen32(binary.LittleEndian.Uint16(src[2*j:])))
	}
}
