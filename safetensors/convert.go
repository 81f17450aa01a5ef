package safetensors

import (
	"encoding/binary"
	"fmt"
	"github.com/transplant-dev/transplant/internal/bf16"
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
		bf16.Widen(dst, src)
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
		bf16.Narrow(dst, src)
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

// BFloat16ToFloat32 widens a bfloat16 bit pattern, exactly (bf16.Widen32).
func BFloat16ToFloat32(b uint16) float32 { return bf16.Widen32(b) }

// Float32ToBFloat16 narrows f to bfloat16, rounding to nearest with ties to
// even; every NaN becomes the quiet NaN 0x7FC0, torch's scalar rule
// (bf16.Narrow32).
func Float32ToBFloat16(f float32) uint16 { return bf16.Narrow32(f) }

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
