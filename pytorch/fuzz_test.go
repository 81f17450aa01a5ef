package pytorch

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/nlpodyssey/gopickle/types"
)

func seedFiles(f *testing.F) [][]byte {
	var out [][]byte
	for _, name := range []string{"state.bin", "state_legacy.bin", "forbidden.bin", "bare_tensor.bin"} {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, data)
	}
	return out
}

// FuzzOpen feeds whole files to the reader: it must never panic, and every
// tensor of a file it accepts must read.
func FuzzOpen(f *testing.F) {
	for _, s := range seedFiles(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		for _, info := range file.Tensors() {
			if _, err := file.Raw(info.Name); err != nil {
				t.Fatalf("accepted tensor %q unreadable: %v", info.Name, err)
			}
		}
	})
}

// FuzzUnpickle feeds pickles (the data.pkl of the seed files, mutated) to
// the allow-listed unpickler; storages resolve to a fixed-size fake, and
// every tensor it yields must be checked against it.
func FuzzUnpickle(f *testing.F) {
	for _, s := range seedFiles(f) {
		if zr, err := zip.NewReader(bytes.NewReader(s), int64(len(s))); err == nil {
			for _, zf := range zr.File {
				if strings.HasSuffix(zf.Name, "/data.pkl") {
					rc, _ := zf.Open()
					pkl, _ := io.ReadAll(rc)
					f.Add(pkl)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		root, err := unpickle(data, func(id *types.Tuple) (any, error) {
			ref, err := parseStorageID(id, 5)
			if err == nil {
				ref.numel = min(ref.numel, 64)
			}
			return ref, err
		})
		if err != nil {
			return
		}
		entries, err := stateDict(root)
		if err != nil {
			return
		}
		for _, e := range entries {
			info, err := newTensorInfo(e.name, e.t)
			if err == nil && info.NumElements() > 0 && info.Offset >= e.t.storage.numel {
				t.Fatalf("accepted a view past its storage: %+v", info)
			}
		}
	})
}
