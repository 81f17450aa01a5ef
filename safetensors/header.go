package safetensors

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"unicode/utf8"
)

// MaxHeaderSize is the largest JSON header this package accepts, the same
// limit as the reference Rust implementation. It bounds the memory a
// malicious length field can make a reader allocate.
const MaxHeaderSize = 100_000_000

const metadataKey = "__metadata__"

// TensorInfo describes one tensor of a file.
type TensorInfo struct {
	Name  string
	Dtype Dtype
	Shape []int
	// Begin and End are the tensor's byte range [Begin, End) relative to the
	// start of the data section, as in the header's data_offsets.
	Begin, End int64
}

// NumElements returns the product of the shape (1 for a scalar).
func (t TensorInfo) NumElements() int64 {
	n, _ := numElements(t.Shape)
	return n
}

// ByteSize returns the number of bytes the tensor's data occupies.
func (t TensorInfo) ByteSize() int64 { return t.NumElements() * int64(t.Dtype.Size()) }

// header is the parsed and validated JSON header of a file.
type header struct {
	metadata map[string]string
	tensors  []TensorInfo // sorted by Begin
	dataLen  int64        // length of the data section
}

// readHeader reads the length prefix and the JSON header from r, which holds
// size bytes, and validates every tensor against the data section. It
// returns the header and the absolute offset where the data section starts.
func readHeader(r io.ReaderAt, size int64) (*header, int64, error) {
	if size < 8 {
		return nil, 0, fmt.Errorf("%w: file is %d bytes, too short for the 8-byte header length", ErrFormat, size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, 0, fmt.Errorf("reading header length: %w", err)
	}
	n := uint64(lenBuf[0]) | uint64(lenBuf[1])<<8 | uint64(lenBuf[2])<<16 | uint64(lenBuf[3])<<24 |
		uint64(lenBuf[4])<<32 | uint64(lenBuf[5])<<40 | uint64(lenBuf[6])<<48 | uint64(lenBuf[7])<<56
	if n > MaxHeaderSize {
		return nil, 0, fmt.Errorf("%w: header length %d exceeds the %d-byte limit", ErrFormat, n, MaxHeaderSize)
	}
	if int64(n) > size-8 {
		return nil, 0, fmt.Errorf("%w: header length %d runs past the end of the %d-byte file", ErrFormat, n, size)
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, 8); err != nil {
		return nil, 0, fmt.Errorf("reading header: %w", err)
	}
	h, err := parseHeader(buf, size-8-int64(n))
	return h, 8 + int64(n), err
}

// parseHeader parses the JSON header b of a file whose data section is
// dataLen bytes long.
func parseHeader(b []byte, dataLen int64) (*header, error) {
	if !utf8.Valid(b) {
		return nil, fmt.Errorf("%w: header is not valid UTF-8", ErrFormat)
	}
	if len(b) == 0 || b[0] != '{' {
		return nil, fmt.Errorf("%w: header does not start with '{'", ErrFormat)
	}
	h := &header{dataLen: dataLen}
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%w: header is not valid JSON: %v", ErrFormat, err)
	}
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: header is not valid JSON: %v", ErrFormat, err)
		}
		name := tok.(string) // object keys are always strings
		if seen[name] {
			return nil, &Error{Tensor: name, Err: fmt.Errorf("%w: name appears twice in the header", ErrFormat)}
		}
		seen[name] = true
		if name == metadataKey {
			if err := dec.Decode(&h.metadata); err != nil {
				return nil, fmt.Errorf("%w: __metadata__ is not an object of strings: %v", ErrFormat, err)
			}
			continue
		}
		t, err := decodeTensor(dec, name)
		if err != nil {
			return nil, &Error{Tensor: name, Err: err}
		}
		h.tensors = append(h.tensors, t)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%w: header is not valid JSON: %v", ErrFormat, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: header has data after its closing brace", ErrFormat)
	}
	return h, h.validate()
}

func decodeTensor(dec *json.Decoder, name string) (TensorInfo, error) {
	var raw struct {
		Dtype   *string  `json:"dtype"`
		Shape   *[]int64 `json:"shape"`
		Offsets *[]int64 `json:"data_offsets"`
	}
	if err := dec.Decode(&raw); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) || err == io.EOF || err == io.ErrUnexpectedEOF {
			return TensorInfo{}, fmt.Errorf("%w: header is not valid JSON: %v", ErrFormat, err)
		}
		return TensorInfo{}, fmt.Errorf("%w: not a tensor description: %v", ErrFormat, err)
	}
	switch {
	case raw.Dtype == nil:
		return TensorInfo{}, fmt.Errorf("%w: no dtype", ErrFormat)
	case raw.Shape == nil:
		return TensorInfo{}, fmt.Errorf("%w: no shape", ErrFormat)
	case raw.Offsets == nil || len(*raw.Offsets) != 2:
		return TensorInfo{}, fmt.Errorf("%w: data_offsets is not a pair of numbers", ErrFormat)
	}
	t := TensorInfo{Name: name, Dtype: Dtype(*raw.Dtype), Begin: (*raw.Offsets)[0], End: (*raw.Offsets)[1]}
	if !t.Dtype.Known() {
		return TensorInfo{}, fmt.Errorf("%w %s", ErrDtype, quote(*raw.Dtype))
	}
	for _, d := range *raw.Shape {
		if d < 0 || d > math.MaxInt32 {
			return TensorInfo{}, fmt.Errorf("%w: shape %v has a dimension out of range", ErrFormat, *raw.Shape)
		}
		t.Shape = append(t.Shape, int(d))
	}
	if t.Shape == nil {
		t.Shape = []int{}
	}
	return t, nil
}

// validate checks that the tensors tile the data section exactly, in the
// order of their offsets, each with as many bytes as its dtype and shape
// need: the same rule as the reference implementation, so a file accepted
// here loads in transformers.
func (h *header) validate() error {
	for _, t := range h.tensors {
		if err := checkRange(t, h.dataLen); err != nil {
			return &Error{Tensor: t.Name, Err: err}
		}
	}
	slices.SortStableFunc(h.tensors, func(a, b TensorInfo) int {
		return cmp.Or(cmp.Compare(a.Begin, b.Begin), cmp.Compare(a.End, b.End))
	})
	var end int64
	prev := ""
	for _, t := range h.tensors {
		switch {
		case t.Begin < end:
			return &Error{Tensor: t.Name, Err: fmt.Errorf("%w: data offsets [%d, %d) overlap tensor %s, which ends at %d",
				ErrFormat, t.Begin, t.End, quote(prev), end)}
		case t.Begin > end:
			return &Error{Tensor: t.Name, Err: fmt.Errorf("%w: data offsets [%d, %d) leave %d unused bytes before the tensor",
				ErrFormat, t.Begin, t.End, t.Begin-end)}
		}
		end, prev = t.End, t.Name
	}
	if end != h.dataLen {
		return fmt.Errorf("%w: data section is %d bytes but the tensors cover %d", ErrFormat, h.dataLen, end)
	}
	return nil
}

func checkRange(t TensorInfo, dataLen int64) error {
	if t.Begin < 0 || t.End < t.Begin {
		return fmt.Errorf("%w: data offsets [%d, %d) are out of order", ErrFormat, t.Begin, t.End)
	}
	if t.End > dataLen {
		return fmt.Errorf("%w: data offsets [%d, %d) run past the %d-byte data section", ErrFormat, t.Begin, t.End, dataLen)
	}
	n, ok := numElements(t.Shape)
	if !ok || n > dataLen {
		return fmt.Errorf("%w: %s%v needs more bytes than the data section holds", ErrFormat, t.Dtype, t.Shape)
	}
	if want := n * int64(t.Dtype.Size()); want != t.End-t.Begin {
		return fmt.Errorf("%w: %s%v needs %d bytes but data offsets [%d, %d) hold %d",
			ErrFormat, t.Dtype, t.Shape, want, t.Begin, t.End, t.End-t.Begin)
	}
	return nil
}

// numElements returns the product of shape, and false if it overflows.
func numElements(shape []int) (int64, bool) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 {
			return 0, false
		}
		if d != 0 && n > math.MaxInt64/8/int64(d) {
			return 0, false
		}
		n *= int64(d)
	}
	return n, true
}
