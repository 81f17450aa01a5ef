package safetensors

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestCopyFileRange checks the kernel path really carries the bytes, from
// the middle of a section, and leaves the section reader past them.
func TestCopyFileRange(t *testing.T) {
	dir := t.TempDir()
	src := make([]byte, 3<<20)
	for i := range src {
		src[i] = byte(i * 7)
	}
	in := filepath.Join(dir, "in")
	os.WriteFile(in, src, 0o644)
	fin, _ := os.Open(in)
	defer fin.Close()
	out, _ := os.Create(filepath.Join(dir, "out"))
	defer out.Close()
	out.Write([]byte("head"))
	sr := io.NewSectionReader(fin, 100, 2<<20)
	sr.Seek(10, io.SeekStart)
	n, err := copyFileRange(out, nil, sr, 1<<20)
	if err != nil || n != 1<<20 {
		t.Fatalf("copied %d, %v", n, err)
	}
	if pos, _ := sr.Seek(0, io.SeekCurrent); pos != 10+1<<20 {
		t.Errorf("section position %d", pos)
	}
	got, _ := os.ReadFile(out.Name())
	if !bytes.Equal(got[4:], src[110:110+1<<20]) || string(got[:4]) != "head" {
		t.Error("copied bytes differ")
	}
}
