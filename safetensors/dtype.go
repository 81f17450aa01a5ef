package safetensors

// Dtype is a tensor element type as spelled in a safetensors header.
type Dtype string

// The element types a safetensors header may name. Only the floating-point
// ones F64, F32, F16 and BF16 can be widened to float32; the others are
// carried as opaque bytes.
const (
	BOOL   Dtype = "BOOL"
	U8     Dtype = "U8"
	I8     Dtype = "I8"
	F8E5M2 Dtype = "F8_E5M2"
	F8E4M3 Dtype = "F8_E4M3"
	I16    Dtype = "I16"
	U16    Dtype = "U16"
	F16    Dtype = "F16"
	BF16   Dtype = "BF16"
	I32    Dtype = "I32"
	U32    Dtype = "U32"
	F32    Dtype = "F32"
	F64    Dtype = "F64"
	I64    Dtype = "I64"
	U64    Dtype = "U64"
	F8E8M0 Dtype = "F8_E8M0"
)

var dtypeSizes = map[Dtype]int{
	BOOL: 1, U8: 1, I8: 1, F8E5M2: 1, F8E4M3: 1, F8E8M0: 1,
	I16: 2, U16: 2, F16: 2, BF16: 2,
	I32: 4, U32: 4, F32: 4,
	F64: 8, I64: 8, U64: 8,
}

// Size returns the number of bytes one element occupies, or 0 for a dtype
// this package does not know.
func (d Dtype) Size() int { return dtypeSizes[d] }

// Known reports whether d is one of the dtypes listed above.
func (d Dtype) Known() bool { return d.Size() > 0 }

// IsFloat reports whether tensors of this dtype can be widened to float32.
func (d Dtype) IsFloat() bool {
	switch d {
	case F64, F32, F16, BF16:
		return true
	}
	return false
}
