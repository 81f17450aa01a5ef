package safetensors

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// benchFile writes a file of n BF16 tensors of 8 MiB each and opens it.
func benchFile(b *testing.B, n int) *File {
	b.Helper()
	infos := make([]TensorInfo, n)
	for i := range infos {
		infos[i] = TensorInfo{Name: string(rune('a' + i)), Dtype: BF16, Shape: []int{1024, 4096}}
	}
	path := filepath.Join(b.TempDir(), "in.safetensors")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w, err := NewWriter(out, infos, nil)
	if err != nil {
		b.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{0x3f, 0x80, 0x12, 0xc1}, 1<<18)
	for range n * 8 {
		w.Write(chunk)
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	out.Close()
	f, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// copyAll streams every tensor of f into a new file at path.
func copyAll(b *testing.B, f *File, path string, wrap func(io.Reader) io.Reader) {
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	w, err := NewWriter(out, f.Tensors(), nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range f.Tensors() {
		r, _ := f.Reader(t.Name)
		if err := w.WriteTensor(t.Name, wrap(r)); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWriterCopy copies a 64 MiB file tensor by tensor: the kernel
// path (file section to file) against the buffered user-space path.
func BenchmarkWriterCopy(b *testing.B) {
	f := benchFile(b, 8)
	dir := b.TempDir()
	for _, bc := range []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"kernel", func(r io.Reader) io.Reader { return r }},
		{"buffered", func(r io.Reader) io.Reader { return struct{ io.Reader }{r} }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(64 << 20)
			for b.Loop() {
				copyAll(b, f, filepath.Join(dir, "out.safetensors"), bc.wrap)
			}
		})
	}
}

// BenchmarkFloat32 widens an 8 MiB BF16 tensor (4 Mi elements).
func BenchmarkFloat32(b *testing.B) {
	f := benchFile(b, 1)
	dst := make([]float32, 1024*4096)
	b.SetBytes(8 << 20)
	for b.Loop() {
		if err := f.ReadFloat32("a", dst, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConvertBF16 widens and narrows 4 Mi BF16 elements in memory, the
// conversions apply runs on every row of the tables it builds.
func BenchmarkConvertBF16(b *testing.B) {
	raw := make([]byte, 2<<22)
	for i := range raw {
		raw[i] = byte(i * 131)
	}
	f := make([]float32, 1<<22)
	b.Run("ToFloat32", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if err := ToFloat32(f, raw, BF16); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FromFloat32", func(b *testing.B) {
		b.SetBytes(int64(len(raw)))
		for b.Loop() {
			if err := FromFloat32(raw, f, BF16); err != nil {
				b.Fatal(err)
			}
		}
	})
}
