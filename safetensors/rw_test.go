package safetensors

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func testTensors(rng *rand.Rand) ([]TensorInfo, map[string][]byte) {
	infos := []TensorInfo{
		{Name: "bf16", Dtype: BF16, Shape: []int{3, 5}},
		{Name: "empty", Dtype: F32, Shape: []int{0, 7}},
		{Name: "scalar", Dtype: F64, Shape: []int{}},
		{Name: "f16", Dtype: F16, Shape: []int{4, 1, 3}},
		{Name: "ids", Dtype: I64, Shape: []int{5}},
		{Name: "mask", Dtype: BOOL, Shape: []int{3}},
		{Name: `we"ird/näme`, Dtype: F32, Shape: []int{2, 2}},
	}
	data := make(map[string][]byte)
	for _, t := range infos {
		b := make([]byte, t.ByteSize())
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		data[t.Name] = b
	}
	return infos, data
}

func writeFile(t *testing.T, path string, infos []TensorInfo, data map[string][]byte, md map[string]string) {
	t.Helper()
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w, err := NewWriter(out, infos, md)
	if err != nil {
		t.Fatal(err)
	}
	for i, info := range infos {
		// Alternate the two ways of feeding data.
		if i%2 == 0 {
			err = w.WriteTensor(info.Name, bytes.NewReader(data[info.Name]))
		} else {
			_, err = w.Write(data[info.Name])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	infos, data := testTensors(rand.New(rand.NewPCG(1, 2)))
	md := map[string]string{"format": "pt"}
	first := filepath.Join(dir, "a.safetensors")
	writeFile(t, first, infos, data, md)

	a, err := Open(first)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	checkContents(t, a, infos, data, md)

	// Copy every tensor through the kernel path (file section → file) and
	// compare the two files byte for byte.
	second := filepath.Join(dir, "b.safetensors")
	out, err := os.Create(second)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(out, a.Tensors(), a.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range a.Tensors() {
		r, err := a.Reader(info.Name)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteTensor(info.Name, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	out.Close()
	x, _ := os.ReadFile(first)
	y, _ := os.ReadFile(second)
	// The header orders tensors by data offset, so a copy may reorder the
	// header but must hold the same tensors with the same bytes.
	b, err := Open(second)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	checkContents(t, b, infos, data, md)
	if len(x) != len(y) {
		t.Errorf("copy is %d bytes, original %d", len(y), len(x))
	}
}

func checkContents(t *testing.T, f *File, infos []TensorInfo, data map[string][]byte, md map[string]string) {
	t.Helper()
	if got := f.Metadata(); !equalMaps(got, md) {
		t.Errorf("metadata %v, want %v", got, md)
	}
	if len(f.Tensors()) != len(infos) {
		t.Errorf("%d tensors, want %d", len(f.Tensors()), len(infos))
	}
	for _, want := range infos {
		got, ok := f.Tensor(want.Name)
		if !ok || got.Dtype != want.Dtype || !slices.Equal(got.Shape, want.Shape) {
			t.Errorf("%q: %+v, want %+v", want.Name, got, want)
			continue
		}
		raw, err := f.Raw(want.Name)
		if err != nil || !bytes.Equal(raw, data[want.Name]) {
			t.Errorf("%q: bytes differ (err %v)", want.Name, err)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestHeaderAligned(t *testing.T) {
	var b bytes.Buffer
	w, err := NewWriter(&b, []TensorInfo{{Name: "x", Dtype: U8, Shape: []int{1}}}, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte{9})
	if (b.Len()-1)%8 != 0 {
		t.Errorf("data section starts at %d, not 8-byte aligned", b.Len()-1)
	}
	if !strings.Contains(b.String(), `{"__metadata__":{"format":"pt"},"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`) {
		t.Errorf("header %q", b.String()[8:])
	}
}

func TestReadFloat32Rows(t *testing.T) {
	f, err := Open("testdata/python.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	all, shape, err := f.Float32("bf16.matrix")
	if err != nil {
		t.Fatal(err)
	}
	cols := int64(shape[1])
	rows := make([]float32, cols)
	if err := f.ReadFloat32("bf16.matrix", rows, cols); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rows, all[cols:2*cols]) {
		t.Errorf("row 1 = %v, want %v", rows, all[cols:2*cols])
	}
	for _, start := range []int64{-1, 2*cols - 1, 3 * cols} {
		if err := f.ReadFloat32("bf16.matrix", rows, start); err == nil {
			t.Errorf("start %d: no error", start)
		}
	}
	if err := f.ReadFloat32("nope", rows, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing tensor: %v", err)
	}
}

// failWriter accepts n bytes, then fails like a full disk.
type failWriter struct{ n int }

var errDiskFull = errors.New("no space left on device")

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) <= w.n {
		w.n -= len(p)
		return len(p), nil
	}
	k := w.n
	w.n = 0
	return k, errDiskFull
}

func TestWriterErrors(t *testing.T) {
	infos := []TensorInfo{{Name: "a", Dtype: F32, Shape: []int{2}}, {Name: "b", Dtype: U8, Shape: []int{3}}}
	newW := func(t *testing.T, dst io.Writer) *Writer {
		w, err := NewWriter(dst, infos, nil)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	tests := []struct {
		name string
		run  func(w *Writer) error
		want error
	}{
		{"out of order", func(w *Writer) error { return w.WriteTensor("b", bytes.NewReader(make([]byte, 3))) }, ErrFormat},
		{"short source", func(w *Writer) error { return w.WriteTensor("a", bytes.NewReader(make([]byte, 7))) }, ErrShortData},
		{"too much data", func(w *Writer) error { _, err := w.Write(make([]byte, 12)); return err }, ErrFormat},
		{"missing tensor", func(w *Writer) error {
			w.Write(make([]byte, 8))
			return w.Close()
		}, ErrShortData},
		{"partial then WriteTensor", func(w *Writer) error {
			w.Write(make([]byte, 3))
			return w.WriteTensor("a", bytes.NewReader(make([]byte, 8)))
		}, ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(newW(t, io.Discard))
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("disk full", func(t *testing.T) {
		hdr, _ := encodeHeader(newW(t, io.Discard).tensors, nil)
		w, err := NewWriter(&failWriter{n: len(hdr) + 4}, infos, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = w.WriteTensor("a", bytes.NewReader(make([]byte, 8)))
		if err == nil {
			_, err = w.Write(make([]byte, 3))
		}
		if !errors.Is(err, errDiskFull) || w.Close() == nil {
			t.Errorf("err = %v, want the disk error, sticky", err)
		}
	})
	for _, bad := range [][]TensorInfo{
		{{Name: "", Dtype: F32}},
		{{Name: "__metadata__", Dtype: F32}},
		{{Name: "x", Dtype: "F7"}},
		{{Name: "x", Dtype: F32, Shape: []int{-1}}},
		{{Name: "x", Dtype: F32}, {Name: "x", Dtype: F32}},
	} {
		if _, err := NewWriter(io.Discard, bad, nil); err == nil {
			t.Errorf("NewWriter(%v): no error", bad)
		}
	}
}
