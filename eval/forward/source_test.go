package forward

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"testing"
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

// readSafetensors decodes an F32 or BF16 safetensors file (gzipped when the
// name ends in .gz) into a mapSource; a stand-in for checkpoint.Open in tests.
func readSafetensors(t testing.TB, path string) mapSource {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if bytes.HasSuffix([]byte(path), []byte(".gz")) {
		if r, err = gzip.NewReader(f); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(raw)
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	body := raw[8+n:]
	src := mapSource{}
	for name, msg := range header {
		if name == "__metadata__" {
			continue
		}
		var info struct {
			Dtype   string `json:"dtype"`
			Shape   []int  `json:"shape"`
			Offsets [2]int `json:"data_offsets"`
		}
		if err := json.Unmarshal(msg, &info); err != nil {
			t.Fatal(err)
		}
		b := body[info.Offsets[0]:info.Offsets[1]]
		var data []float32
		switch info.Dtype {
		case "F32":
			data = make([]float32, len(b)/4)
			for i := range data {
				data[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
			}
		case "BF16":
			data = make([]float32, len(b)/2)
			for i := range data {
				data[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
			}
		default:
			t.Fatalf("%s: tensor %q: dtype %s", path, name, info.Dtype)
		}
		src[name] = tensor{data, info.Shape}
	}
	return src
}
