package safetensors

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// Writer streams a safetensors file: NewWriter writes the header for the
// tensors the caller declares, and the tensors' bytes then follow in
// declaration order, through Write or WriteTensor. Nothing but the header is
// held in memory.
type Writer struct {
	w       io.Writer
	tensors []TensorInfo
	cur     int   // index of the tensor whose bytes come next
	left    int64 // bytes tensors[cur] still needs
	err     error // sticky: once writing failed, the output is unusable
	buf     []byte
}

// NewWriter writes to w the header of a file holding tensors, in this order,
// with the given __metadata__ (omitted when nil). The Begin and End fields
// of tensors are ignored and assigned by the writer.
func NewWriter(w io.Writer, tensors []TensorInfo, metadata map[string]string) (*Writer, error) {
	hdr, laid, err := Layout(tensors, metadata)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(hdr); err != nil {
		return nil, &Error{Err: fmt.Errorf("writing header: %w", err)}
	}
	sw := &Writer{w: w, tensors: laid}
	sw.enter(0)
	return sw, nil
}

// Layout places tensors back to back in the order given and returns the
// header of a file holding them, with the given __metadata__ (omitted when
// nil), and the tensors with their Begin and End assigned: tensor t's bytes
// belong at offset len(header)+t.Begin of the file. It lets a caller write a
// file's tensors in any order, at their offsets, instead of through a
// Writer. The Begin and End fields of tensors are ignored.
func Layout(tensors []TensorInfo, metadata map[string]string) (header []byte, laid []TensorInfo, err error) {
	laid = make([]TensorInfo, len(tensors))
	seen := make(map[string]bool, len(tensors))
	var off int64
	for i, t := range tensors {
		if err := checkDeclared(t, seen); err != nil {
			return nil, nil, &Error{Tensor: t.Name, Err: err}
		}
		t.Shape = append([]int{}, t.Shape...)
		t.Begin, t.End = off, off+t.ByteSize()
		off = t.End
		laid[i] = t
	}
	header, err = encodeHeader(laid, metadata)
	if err != nil {
		return nil, nil, err
	}
	return header, laid, nil
}

func checkDeclared(t TensorInfo, seen map[string]bool) error {
	switch {
	case t.Name == "" || t.Name == metadataKey:
		return fmt.Errorf("%w: reserved tensor name", ErrFormat)
	case seen[t.Name]:
		return fmt.Errorf("%w: name declared twice", ErrFormat)
	case !t.Dtype.Known():
		return fmt.Errorf("%w %s", ErrDtype, quote(string(t.Dtype)))
	}
	if _, ok := numElements(t.Shape); !ok {
		return fmt.Errorf("%w: invalid shape %v", ErrFormat, t.Shape)
	}
	seen[t.Name] = true
	return nil
}

// encodeHeader returns the length prefix and JSON header, padded with spaces
// so the data section starts 8-byte aligned, as the reference writer does.
func encodeHeader(tensors []TensorInfo, metadata map[string]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("{")
	if metadata != nil {
		m, err := json.Marshal(metadata)
		if err != nil {
			return nil, err
		}
		b.WriteString(`"` + metadataKey + `":`)
		b.Write(m)
	}
	for i, t := range tensors {
		if i > 0 || metadata != nil {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(t.Name) // strings always marshal
		b.Write(name)
		b.WriteString(`:{"dtype":"` + string(t.Dtype) + `","shape":[`)
		for j, d := range t.Shape {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(strconv.Itoa(d))
		}
		fmt.Fprintf(&b, `],"data_offsets":[%d,%d]}`, t.Begin, t.End)
	}
	b.WriteString("}")
	for b.Len()%8 != 0 {
		b.WriteByte(' ')
	}
	out := make([]byte, 8, 8+b.Len())
	binary.LittleEndian.PutUint64(out, uint64(b.Len()))
	return append(out, b.Bytes()...), nil
}

// Tensors returns the declared tensors with the byte ranges the writer
// assigned them.
func (w *Writer) Tensors() []TensorInfo { return append([]TensorInfo(nil), w.tensors...) }

// Next returns the tensor whose bytes the writer expects next, and false
// when every tensor is complete.
func (w *Writer) Next() (TensorInfo, bool) {
	if w.cur >= len(w.tensors) {
		return TensorInfo{}, false
	}
	return w.tensors[w.cur], true
}

// enter makes tensor i the one whose bytes come next.
func (w *Writer) enter(i int) {
	w.cur = i
	if i < len(w.tensors) {
		w.left = w.tensors[i].End - w.tensors[i].Begin
	}
}

// skipEmpty moves past empty tensors, stopping at the one named stop.
func (w *Writer) skipEmpty(stop string) {
	for w.cur < len(w.tensors) && w.left == 0 && w.tensors[w.cur].Name != stop {
		w.enter(w.cur + 1)
	}
}

func (w *Writer) advance(n int64) {
	w.left -= n
	if w.left == 0 {
		w.enter(w.cur + 1)
	}
}

// Write appends tensor data: the bytes of the declared tensors, in order,
// back to back. Writing more bytes than the tensors need is an error.
func (w *Writer) Write(p []byte) (int, error) {
	total := 0
	for len(p) > 0 {
		if w.err != nil {
			return total, w.err
		}
		w.skipEmpty("")
		if w.cur >= len(w.tensors) {
			w.err = &Error{Err: fmt.Errorf("%w: %d bytes beyond the declared tensors", ErrFormat, len(p))}
			return total, w.err
		}
		k := int(min(int64(len(p)), w.left))
		name := w.tensors[w.cur].Name
		n, err := w.w.Write(p[:k])
		total += n
		w.advance(int64(n))
		if err == nil && n < k {
			err = io.ErrShortWrite
		}
		if err != nil {
			w.err = &Error{Tensor: name, Err: err}
			return total, w.err
		}
		p = p[k:]
	}
	return total, nil
}

// WriteTensor copies the named tensor's bytes from r, which must yield at
// least as many bytes as the tensor needs; name must be the tensor Next
// reports. A file-backed *io.SectionReader (File.Reader) copied to an
// *os.File moves inside the kernel where the platform allows.
func (w *Writer) WriteTensor(name string, r io.Reader) error {
	if w.err != nil {
		return w.err
	}
	w.skipEmpty(name)
	t, ok := w.Next()
	switch {
	case !ok:
		return &Error{Tensor: name, Err: fmt.Errorf("%w: every declared tensor is already written", ErrFormat)}
	case t.Name != name:
		return &Error{Tensor: name, Err: fmt.Errorf("%w: written out of order, expected %s", ErrFormat, quote(t.Name))}
	case w.left != t.End-t.Begin:
		return &Error{Tensor: name, Err: fmt.Errorf("%w: already partly written with Write", ErrFormat)}
	}
	if w.buf == nil {
		w.buf = make([]byte, 1<<20)
	}
	n, err := copyN(w.w, r, w.left, w.buf)
	if err == nil && n < w.left {
		err = fmt.Errorf("%w: source gave %d of %d bytes", ErrShortData, n, w.left)
	}
	if err != nil {
		w.err = &Error{Tensor: name, Err: err}
		return w.err
	}
	w.enter(w.cur + 1)
	return nil
}

// Close reports whether every declared tensor was written in full. It does
// not close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	w.skipEmpty("")
	if t, ok := w.Next(); ok {
		return &Error{Tensor: t.Name, Err: fmt.Errorf("%w: %d bytes never written", ErrShortData, w.left)}
	}
	return nil
}

// copyN copies up to n bytes from src to dst, in the kernel when it can.
func copyN(dst io.Writer, src io.Reader, n int64, buf []byte) (int64, error) {
	done, err := copyFileRange(dst, nil, src, n)
	if err != nil || done == n {
		return done, err
	}
	rest, err := io.CopyBuffer(writerOnly{dst}, io.LimitReader(src, n-done), buf)
	return done + rest, err
}

// CopyAt copies n bytes from src into dst at offset off, as WriteTensor
// does but at a place of the caller's choosing (see Layout), so that
// several tensors of one file can be written at once. A file-backed
// *io.SectionReader (File.Reader) copied to an *os.File moves inside the
// kernel where the platform allows; otherwise the bytes pass through buf
// (an empty buf gets one of 1 MiB). Fewer than n bytes from src is
// ErrShortData.
func CopyAt(dst io.WriterAt, off int64, src io.Reader, n int64, buf []byte) error {
	if len(buf) == 0 {
		buf = make([]byte, 1<<20)
	}
	woff := off
	done, err := copyFileRange(dst, &woff, src, n)
	for err == nil && done < n {
		var k int
		k, err = io.ReadFull(src, buf[:min(int64(len(buf)), n-done)])
		if k > 0 {
			if _, werr := dst.WriteAt(buf[:k], off+done); werr != nil {
				return werr
			}
			done += int64(k)
		}
	}
	if done == n {
		return nil
	}
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		err = fmt.Errorf("%w: source gave %d of %d bytes", ErrShortData, done, n)
	}
	return err
}

// writerOnly hides dst's ReadFrom so io.CopyBuffer uses our large buffer
// instead of a 32 KiB one.
type writerOnly struct{ io.Writer }
