package pytorch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/transplant-dev/transplant/safetensors"
)

// storage is where one storage's bytes lie in the file.
type storage struct {
	dtype safetensors.Dtype
	numel int64
	off   int64 // absolute offset of the first byte
}

// File is an open torch checkpoint. Its methods are safe for concurrent use.
type File struct {
	path     string
	f        io.ReaderAt
	closer   io.Closer
	size     int64
	legacy   bool
	tensors  []TensorInfo // in state dict order
	byName   map[string]int
	storages map[string]storage
}

// Open reads the description of every tensor in the checkpoint at path
// (zip or legacy format) and checks it against the file; tensor bytes stay
// on disk until read.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("pytorch: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("pytorch: %w", err)
	}
	pf, err := newFile(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	pf.closer = f
	return pf, nil
}

// NewReader reads a checkpoint of the given size from r. Errors do not name
// a file; use Open for files on disk.
func NewReader(r io.ReaderAt, size int64) (*File, error) { return newFile(r, size, "") }

func newFile(r io.ReaderAt, size int64, path string) (*File, error) {
	f := &File{path: path, f: r, byName: map[string]int{}, storages: map[string]storage{}}
	if err := f.load(size); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Path = path
			return nil, e
		}
		return nil, &Error{Path: path, Err: err}
	}
	return f, nil
}

func (f *File) load(size int64) error {
	f.size = size
	var head [512]byte
	n, _ := f.f.ReadAt(head[:], 0)
	switch {
	case n >= 4 && string(head[:4]) == "PK\x03\x04":
		return f.loadZip(size)
	case n >= 2 && head[0] == 0x80 && head[1] <= 5:
		f.legacy = true
		return f.loadLegacy(size)
	case n >= 262 && string(head[257:262]) == "ustar":
		return fmt.Errorf("%w: the tar format of torch before 0.4", ErrUnsupported)
	}
	return fmt.Errorf("%w: neither a zip archive nor a legacy pickle", ErrFormat)
}

// addTensors validates the state dict entries against the storages found.
func (f *File) addTensors(entries []namedTensor) error {
	for _, e := range entries {
		if _, dup := f.byName[e.name]; dup {
			return &Error{Tensor: e.name, Err: fmt.Errorf("%w: name appears twice", ErrFormat)}
		}
		info, err := newTensorInfo(e.name, e.t)
		if err != nil {
			return &Error{Tensor: e.name, Err: err}
		}
		f.byName[e.name] = len(f.tensors)
		f.tensors = append(f.tensors, info)
	}
	return nil
}

// Close closes the file, if Open opened it.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// Path returns the name the file was opened with.
func (f *File) Path() string { return f.path }

// Legacy reports whether the file is in torch's pre-1.6 (non-zip) format.
func (f *File) Legacy() bool { return f.legacy }

// Tensors returns the checkpoint's tensors in state dict order.
func (f *File) Tensors() []TensorInfo { return slices.Clone(f.tensors) }

// Tensor returns the description of the named tensor.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	i, ok := f.byName[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.tensors[i], true
}

func (f *File) lookup(name string) (TensorInfo, storage, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return t, storage{}, &Error{Path: f.path, Tensor: name, Err: ErrNotFound}
	}
	return t, f.storages[t.Storage], nil
}

// Reader returns the named tensor's elements, row-major and little-endian,
// as a safetensors file would hold them. A contiguous tensor is an
// *io.SectionReader over the file, which safetensors.Writer copies inside
// the kernel; a strided view is gathered into memory.
func (f *File) Reader(name string) (io.Reader, error) {
	t, s, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	size := int64(t.Dtype.Size())
	if t.Contiguous() {
		return io.NewSectionReader(f.f, s.off+t.Offset*size, t.ByteSize()), nil
	}
	b, err := f.gather(t, s)
	if err != nil {
		return nil, err
	}
	return bytes.NewReader(b), nil
}

// Raw returns a copy of the named tensor's bytes (see Reader).
func (f *File) Raw(name string) ([]byte, error) {
	r, err := f.Reader(name)
	if err != nil {
		return nil, err
	}
	t, _ := f.Tensor(name)
	buf := make([]byte, t.ByteSize())
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, &Error{Path: f.path, Tensor: name, Err: err}
	}
	return buf, nil
}

// gather reads the span of storage a strided view covers and copies its
// elements out in row-major order.
func (f *File) gather(t TensorInfo, s storage) ([]byte, error) {
	size := int64(t.Dtype.Size())
	last := t.Offset
	for i, d := range t.Shape {
		if d == 0 {
			return nil, nil
		}
		last += int64(d-1) * int64(t.Stride[i])
	}
	span := make([]byte, (last-t.Offset+1)*size)
	if _, err := f.f.ReadAt(span, s.off+t.Offset*size); err != nil {
		return nil, &Error{Path: f.path, Tensor: t.Name, Err: err}
	}
	out := make([]byte, 0, t.ByteSize())
	idx := make([]int, len(t.Shape))
	for {
		var at int64
		for i, k := range idx {
			at += int64(k) * int64(t.Stride[i])
		}
		out = append(out, span[at*size:(at+1)*size]...)
		i := len(idx) - 1
		for ; i >= 0; i-- {
			if idx[i]++; idx[i] < t.Shape[i] {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			return out, nil
		}
	}
}

// Float32 returns the named tensor widened to float32, row-major, and its
// shape.
func (f *File) Float32(name string) ([]float32, []int, error) {
	t, _, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	dst := make([]float32, t.NumElements())
	if err := f.ReadFloat32(name, dst, 0); err != nil {
		return nil, nil, err
	}
	return dst, slices.Clone(t.Shape), nil
}

// ReadRaw fills dst with elements start... of the named tensor, row-major,
// in its own dtype (little-endian): len(dst) must be a whole number of
// elements.
func (f *File) ReadRaw(name string, dst []byte, start int64) error {
	t, s, err := f.lookup(name)
	if err != nil {
		return err
	}
	size := int64(t.Dtype.Size())
	if n := t.NumElements(); start < 0 || start > n || int64(len(dst))%size != 0 || int64(len(dst))/size > n-start {
		return &Error{Path: f.path, Tensor: name, Err: fmt.Errorf("%d bytes at element %d out of range for %d elements of %s", len(dst), start, n, t.Dtype)}
	}
	if t.Contiguous() {
		err = safetensors.ReadRawAt(f.f, dst, s.off+(t.Offset+start)*size)
	} else {
		var b []byte
		if b, err = f.gather(t, s); err == nil {
			copy(dst, b[start*size:])
		}
	}
	if err != nil {
		return &Error{Path: f.path, Tensor: name, Err: err}
	}
	return nil
}

// ReadFloat32 fills dst with the named tensor's elements start, start+1, ...
// in row-major order, widened to float32.
func (f *File) ReadFloat32(name string, dst []float32, start int64) error {
	t, s, err := f.lookup(name)
	if err != nil {
		return err
	}
	if !t.Dtype.IsFloat() {
		return &Error{Path: f.path, Tensor: name, Err: fmt.Errorf("%w: cannot widen %s to float32", safetensors.ErrDtype, t.Dtype)}
	}
	if n := t.NumElements(); start < 0 || start > n || int64(len(dst)) > n-start {
		return &Error{Path: f.path, Tensor: name, Err: fmt.Errorf("elements [%d, %d) out of range for %d elements", start, start+int64(len(dst)), n)}
	}
	size := int64(t.Dtype.Size())
	if t.Contiguous() {
		err = safetensors.ReadFloat32At(f.f, dst, s.off+(t.Offset+start)*size, t.Dtype)
	} else {
		var b []byte
		if b, err = f.gather(t, s); err == nil {
			err = safetensors.ToFloat32(dst, b[start*size:(start+int64(len(dst)))*size], t.Dtype)
		}
	}
	if err != nil {
		return &Error{Path: f.path, Tensor: name, Err: err}
	}
	return nil
}
