package safetensors

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"sync"
)

// File is an open safetensors file. Its methods are safe for concurrent use:
// all reads go through io.ReaderAt.
type File struct {
	path      string
	r         io.ReaderAt
	closer    io.Closer
	dataStart int64 // absolute offset of the data section
	h         *header
	byName    map[string]int
}

// Open opens the named file and validates its header. Tensor data is read
// only when asked for.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	sf, err := newFile(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	sf.closer = f
	return sf, nil
}

// NewReader reads a safetensors file of the given size from r. Errors do not
// name a file; use Open for files on disk.
func NewReader(r io.ReaderAt, size int64) (*File, error) { return newFile(r, size, "") }

func newFile(r io.ReaderAt, size int64, path string) (*File, error) {
	h, dataStart, err := readHeader(r, size)
	if err != nil {
		return nil, withPath(err, path)
	}
	f := &File{path: path, r: r, dataStart: dataStart, h: h, byName: make(map[string]int, len(h.tensors))}
	for i, t := range h.tensors {
		f.byName[t.Name] = i
	}
	return f, nil
}

// withPath wraps err in an *Error naming path, or fills in the path of the
// *Error it already is.
func withPath(err error, path string) error {
	var e *Error
	if errors.As(err, &e) {
		e.Path = path
		return e
	}
	return &Error{Path: path, Err: err}
}

// Close closes the underlying file, if Open opened it.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// Path returns the name the file was opened with.
func (f *File) Path() string { return f.path }

// Metadata returns a copy of the header's __metadata__ map (nil if absent).
func (f *File) Metadata() map[string]string { return maps.Clone(f.h.metadata) }

// Tensors returns the file's tensors in the order of their data.
func (f *File) Tensors() []TensorInfo {
	out := make([]TensorInfo, len(f.h.tensors))
	copy(out, f.h.tensors)
	return out
}

// Tensor returns the description of the named tensor.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	i, ok := f.byName[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.h.tensors[i], true
}

// DataOffset returns the absolute offset in the file where the named
// tensor's bytes start.
func (f *File) DataOffset(name string) (int64, error) {
	t, err := f.lookup(name)
	return f.dataStart + t.Begin, err
}

func (f *File) lookup(name string) (TensorInfo, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return t, f.errorf(name, "%w", ErrNotFound)
	}
	return t, nil
}

func (f *File) errorf(tensor, format string, args ...any) error {
	return &Error{Path: f.path, Tensor: tensor, Err: fmt.Errorf(format, args...)}
}

// Reader returns the named tensor's bytes, exactly as stored. When the file
// came from Open, the reader is an *io.SectionReader over the *os.File, which
// Writer.WriteTensor copies inside the kernel.
func (f *File) Reader(name string) (*io.SectionReader, error) {
	t, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	return io.NewSectionReader(f.r, f.dataStart+t.Begin, t.End-t.Begin), nil
}

// Raw returns a copy of the named tensor's bytes.
func (f *File) Raw(name string) ([]byte, error) {
	t, err := f.lookup(name)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, t.End-t.Begin)
	if err := f.readAt(t, buf, t.Begin); err != nil {
		return nil, err
	}
	return buf, nil
}

func (f *File) readAt(t TensorInfo, buf []byte, off int64) error {
	n, err := f.r.ReadAt(buf, f.dataStart+off)
	if n == len(buf) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = ErrShortData
	}
	return f.errorf(t.Name, "reading %d bytes at %d: %w", len(buf), f.dataStart+off, err)
}

// Float32 returns the named tensor widened to float32, row-major, and its
// shape.
func (f *File) Float32(name string) ([]float32, []int, error) {
	t, err := f.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	if !t.Dtype.IsFloat() {
		return nil, nil, f.errorf(name, "%w: cannot widen %s to float32", ErrDtype, t.Dtype)
	}
	dst := make([]float32, t.NumElements())
	if err := f.ReadFloat32(name, dst, 0); err != nil {
		return nil, nil, err
	}
	return dst, append([]int(nil), t.Shape...), nil
}

// chunkBytes bounds the scratch buffer of ReadFloat32, so widening a tensor
// never holds its raw bytes and its float32 values in full at the same time.
const chunkBytes = 1 << 20

// scratch holds ReadFloat32At's buffers between calls: apply reads the base
// rows it builds from one at a time, and a fresh buffer for each read cost
// more than the read.
// Each grows to the largest read it served, at most chunkBytes.
var scratch = sync.Pool{New: func() any { return new([]byte) }}

// ReadFloat32 fills dst with the named tensor's elements start,
// start+1, ..., start+len(dst)-1 (row-major), widened to float32. Reading
// rows [i, j) of a 2-D tensor with c columns is ReadFloat32(name,
// dst[:(j-i)*c], i*c).
func (f *File) ReadFloat32(name string, dst []float32, start int64) error {
	t, err := f.lookup(name)
	if err != nil {
		return err
	}
	if !t.Dtype.IsFloat() {
		return f.errorf(name, "%w: cannot widen %s to float32", ErrDtype, t.Dtype)
	}
	if n := t.NumElements(); start < 0 || start > n || int64(len(dst)) > n-start {
		return f.errorf(name, "elements [%d, %d) out of range for %d elements", start, start+int64(len(dst)), n)
	}
	if err := ReadFloat32At(f.r, dst, t.Begin+f.dataStart+start*int64(t.Dtype.Size()), t.Dtype); err != nil {
		return f.errorf(name, "%w", err)
	}
	return nil
}

// ReadRaw fills dst with elements start... of the named tensor as the file
// stores them: len(dst) must be a whole number of elements.
func (f *File) ReadRaw(name string, dst []byte, start int64) error {
	t, err := f.lookup(name)
	if err != nil {
		return err
	}
	size := int64(t.Dtype.Size())
	if n := t.NumElements(); start < 0 || start > n || int64(len(dst))%size != 0 || int64(len(dst))/size > n-start {
		return f.errorf(name, "%d bytes at element %d out of range for %d elements of %s", len(dst), start, n, t.Dtype)
	}
	if err := ReadRawAt(f.r, dst, t.Begin+f.dataStart+start*size); err != nil {
		return f.errorf(name, "%w", err)
	}
	return nil
}

// ReadRawAt fills b from r at off; a read that ends early fails with
// ErrShortData.
func ReadRawAt(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n < len(b) {
		if err == nil || err == io.EOF {
			err = ErrShortData
		}
		return fmt.Errorf("reading %d bytes at %d: %w", len(b), off, err)
	}
	return nil
}

// ReadFloat32At fills dst with len(dst) elements of dtype dt read from r at
// off, widened to float32, through a bounded scratch buffer. A read that
// ends early fails with ErrShortData.
func ReadFloat32At(r io.ReaderAt, dst []float32, off int64, dt Dtype) error {
	size := dt.Size()
	per := max(chunkBytes/size, 1)
	pb := scratch.Get().(*[]byte)
	defer scratch.Put(pb)
	if need := min(len(dst), per) * size; cap(*pb) < need {
		*pb = make([]byte, need)
	}
	buf := (*pb)[:min(len(dst), per)*size]
	for len(dst) > 0 {
		k := min(len(dst), per)
		b := buf[:k*size]
		if err := ReadRawAt(r, b, off); err != nil {
			return err
		}
		if err := ToFloat32(dst[:k], b, dt); err != nil {
			return err
		}
		dst, off = dst[k:], off+int64(len(b))
	}
	return nil
}
