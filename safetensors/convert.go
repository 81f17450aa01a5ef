package safetensors

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/x448/float16"
)

// ToFloat32 widens the little-endian elements in src, of dtype dt, into dst.
// len(src) must be len(dst)*dt.Size(). F16 and BF16 widen exactly; F64
// rounds to the nearest float32.
func ToFloat32(dst []float32, src []byte, dt Dtype) error {
	if !dt.IsFloat() {
		return fmt.Errorf("%w: cannot widen %s to float32", ErrDtype, dtypeName(dt))
	}
	if len(src) != len(dst)*dt.Size() {
		return fmt.Errorf("safetensors: ToFloat32: %d bytes for %d %s elements", len(src), len(dst), dt)
	}
	switch dt {
	case F32:
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
	case BF16:
		widenBF16(dst, src)
	case F16:
		for i := range dst {
			dst[i] = Float16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
		}
	case F64:
		for i := range dst {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
		}
	}
	return nil
}

// FromFloat32 narrows src into dst as little-endian elements of dtype dt,
// rounding to nearest with ties to even (the rounding torch uses for .to()).
// len(dst) must be len(src)*dt.Size().
func FromFloat32(dst []byte, src []float32, dt Dtype) error {
	if !dt.IsFloat() {
		return fmt.Errorf("%w: cannot narrow float32 to %s", ErrDtype, dtypeName(dt))
	}
	if len(dst) != len(src)*dt.Size() {
		return fmt.Errorf("safetensors: FromFloat32: %d bytes for %d %s elements", len(dst), len(src), dt)
	}
	switch dt {
	case F32:
		for i, v := range src {
			binary.LittleEndian.PutUint32(dst[4*i:], math.Float32bits(v))
		}
	case BF16:
		narrowBF16(dst, src)
	case F16:
		for i, v := range src {
			binary.LittleEndian.PutUint16(dst[2*i:], Float32ToFloat16(v))
		}
	case F64:
		for i, v := range src {
			binary.LittleEndian.PutUint64(dst[8*i:], math.Float64bits(float64(v)))
		}
	}
	return nil
}

// BFloat16ToFloat32 widens a bfloat16 bit pattern. bfloat16 is the top half
// of a float32, so this is exact for every value including NaN payloads.
func BFloat16ToFloat32(b uint16) float32 { return math.Float32frombits(uint32(b) << 16) }

// Float32ToBFloat16 narrows f to bfloat16, rounding to nearest with ties to
// even. Every NaN becomes the quiet NaN 0x7FC0 (torch's scalar rule); rounding a NaN's
// bits could otherwise carry it into infinity.
func Float32ToBFloat16(f float32) uint16 {
	u := math.Float32bits(f)
	if u&0x7fffffff > 0x7f800000 {
		return 0x7fc0
	}
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}

// Float16ToFloat32 widens an IEEE half-precision bit pattern, exactly.
func Float16ToFloat32(h uint16) float32 { return float16.Frombits(h).Float32() }

// Float32ToFloat16 narrows f to IEEE half precision, rounding to nearest with
// ties to even. A NaN becomes the quiet NaN 0x7E00 with f's sign, as in torch.
func Float32ToFloat16(f float32) uint16 {
	if f != f {
		return uint16(math.Float32bits(f)>>16)&0x8000 | 0x7e00
	}
	return float16.Fromfloat32(f).Bits()
}

func dtypeName(dt Dtype) string {
	if dt == "" {
		return `""`
	}
	return string(dt)
}

// widenBF16 is ToFloat32 for BF16, four elements per load (eight with AVX2):
// it runs on every row apply builds, so it is written for the compiler to
// drop bounds checks.
func widenBF16(dst []float32, src []byte) {
	i := 0
	if haveAVX2 {
		i = widenBF16AVX2(dst, src[:2*len(dst)])
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
		dst[i] = BFloat16ToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

// narrowBF16 is FromFloat32 for BF16, four elements per store (eight with
// AVX2), with Float32ToBFloat16's rounding.
func narrowBF16(dst []byte, src []float32) {
	i := 0
	if haveAVX2 {
		i = narrowBF16AVX2(dst[:2*len(src)], src)
	}
	for ; i+4 <= len(src); i += 4 {
		s := src[i : i+4 : i+4]
		u := uint64(Float32ToBFloat16(s[0])) | uint64(Float32ToBFloat16(s[1]))<<16 |
			uint64(Float32ToBFloat16(s[2]))<<32 | uint64(Float32ToBFloat16(s[3]))<<48
		binary.LittleEndian.PutUint64(dst[2*i:2*i+8], u)
	}
	for ; i < len(src); i++ {
		binary.LittleEndian.PutUint16(dst[2*i:], Float32ToBFloat16(src[i]))
	}
}
