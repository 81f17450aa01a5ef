package forward

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/transplant-dev/transplant/safetensors"
)

// mapSource is a Source over tensors held in memory.
type mapSource map[string]tensor

type tensor struct {
	data  []float32
	shape []int
}

func (s mapSource) Float32(name string) ([]float32, []int, error) {
	t, ok := s[name]
	if !ok {
		return nil, nil, fmt.Errorf("no tensor %q", name)
	}
	return append([]float32(nil), t.data...), t.shape, nil
}

// readGzip returns the decompressed contents of a gzip file.
func readGzip(t testing.TB, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return raw
}

// openGzipSafetensors reads a gzipped safetensors file into memory.
func openGzipSafetensors(t testing.TB, path string) *safetensors.File {
	t.Helper()
	raw := readGzip(t, path)
	st, err := safetensors.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return st
}
