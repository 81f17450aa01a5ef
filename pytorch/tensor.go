package pytorch

import (
	"fmt"
	"slices"

	"github.com/transplant-dev/transplant/safetensors"
)

// TensorInfo describes one tensor of a checkpoint: a view of a storage.
type TensorInfo struct {
	Name  string
	Dtype safetensors.Dtype
	Shape []int
	// Stride is the step, in elements, between neighbours along each
	// dimension; Offset is where the view starts in its storage, in
	// elements.
	Stride []int
	Offset int64
	// Storage is the key of the storage holding the data; tensors that
	// share a storage (tied weights, views) have the same key.
	Storage string
}

// NumElements returns the product of the shape.
func (t TensorInfo) NumElements() int64 {
	return safetensors.TensorInfo{Shape: t.Shape}.NumElements()
}

// ByteSize returns the size of the tensor's elements in bytes, in
// row-major order.
func (t TensorInfo) ByteSize() int64 { return t.NumElements() * int64(t.Dtype.Size()) }

// Contiguous reports whether the view's elements lie in row-major order
// without gaps, so its bytes are one range of the storage.
func (t TensorInfo) Contiguous() bool {
	want := int64(1)
	for i := len(t.Shape) - 1; i >= 0; i-- {
		if t.Shape[i] != 1 && int64(t.Stride[i]) != want {
			return false
		}
		want *= int64(t.Shape[i])
	}
	return true
}

// newTensorInfo checks a rebuilt tensor against its storage: every element
// the view can reach must lie inside the storage.
func newTensorInfo(name string, t *tensorRef) (TensorInfo, error) {
	info := TensorInfo{Name: name, Dtype: t.storage.dtype, Shape: slices.Clone(t.shape),
		Stride: slices.Clone(t.stride), Offset: t.offset, Storage: t.storage.key}
	if len(t.shape) != len(t.stride) {
		return info, fmt.Errorf("%w: size %v and stride %v differ in rank", ErrFormat, t.shape, t.stride)
	}
	if t.offset < 0 {
		return info, fmt.Errorf("%w: negative storage offset %d", ErrFormat, t.offset)
	}
	n, ok := checkedNumel(t.shape)
	if !ok {
		return info, fmt.Errorf("%w: size %v overflows", ErrFormat, t.shape)
	}
	if n == 0 {
		return info, nil
	}
	// The last element the view reaches is offset + Σ (size-1)·stride; add
	// it up without overflowing by comparing against the room left.
	room := t.storage.numel - 1 - t.offset
	for i, d := range t.shape {
		if s := int64(t.stride[i]); d > 1 && s > 0 {
			if room < 0 || int64(d-1) > room/s {
				room = -1
				break
			}
			room -= int64(d-1) * s
		}
	}
	if room < 0 {
		return info, fmt.Errorf("%w: view (offset %d, size %v, stride %v) reaches past its storage of %d elements",
			ErrFormat, t.offset, t.shape, t.stride, t.storage.numel)
	}
	return info, nil
}

func checkedNumel(shape []int) (int64, bool) {
	n := int64(1)
	for _, d := range shape {
		if d != 0 && n > (1<<62)/int64(d) {
			return 0, false
		}
		n *= int64(d)
	}
	return n, true
}
