package pytorch

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/safetensors"
	"github.com/transplant-dev/transplant/safetensors/tensortest"
)

func TestTorchSaveGolden(t *testing.T) {
	golden := tensortest.ReadGolden(t, "testdata/state.golden.json")
	for _, file := range []string{"testdata/state.bin", "testdata/state_legacy.bin", "testdata/state_proto4.bin"} {
		t.Run(filepath.Base(file), func(t *testing.T) {
			f, err := Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if f.Legacy() != strings.Contains(file, "legacy") {
				t.Errorf("Legacy() = %v", f.Legacy())
			}
			describe := func(name string) (string, []int, bool) {
				info, ok := f.Tensor(name)
				return string(info.Dtype), info.Shape, ok
			}
			tensortest.CheckGolden(t, f, describe, len(f.Tensors()), golden)
			for name := range golden {
				checkSlice(t, f, name)
			}
			// Views and tied entries share one storage.
			a, _ := f.Tensor("shared.a")
			tr, _ := f.Tensor("view.transposed")
			off, _ := f.Tensor("view.offset")
			if a.Storage != tr.Storage || a.Storage != off.Storage || tr.Contiguous() || off.Contiguous() || off.Offset != 8 {
				t.Errorf("views: %+v %+v %+v", a, tr, off)
			}
			e, _ := f.Tensor("tied.embed")
			h, _ := f.Tensor("tied.head")
			if e.Storage != h.Storage {
				t.Error("tied entries do not share a storage")
			}
		})
	}
}

// checkSlice reads a tensor's elements from 1 to n-1 and compares them with
// the whole tensor's.
func checkSlice(t *testing.T, f *File, name string) {
	t.Helper()
	all, _, err := f.Float32(name)
	if err != nil || len(all) <= 2 {
		return
	}
	part := make([]float32, len(all)-2)
	same := func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }
	if err := f.ReadFloat32(name, part, 1); err != nil || !slices.EqualFunc(part, all[1:len(all)-1], same) {
		t.Errorf("%s: ReadFloat32 from 1: %v", name, err)
	}
	r, err := f.Reader(name)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	info, _ := f.Tensor(name)
	size := info.Dtype.Size()
	rawPart := make([]byte, len(raw)-2*size)
	if err := f.ReadRaw(name, rawPart, 1); err != nil || !bytes.Equal(rawPart, raw[size:len(raw)-size]) {
		t.Errorf("%s: ReadRaw from 1: %v", name, err)
	}
	if err := f.ReadRaw(name, make([]byte, size+1), 0); err == nil {
		t.Errorf("%s: ReadRaw of %d bytes of %s: no error", name, size+1, info.Dtype)
	}
	if err := f.ReadRaw(name, make([]byte, 2*size), int64(len(all)-1)); err == nil {
		t.Errorf("%s: ReadRaw past the end: no error", name)
	}
}

func TestRefused(t *testing.T) {
	dir := t.TempDir()
	notTorch := filepath.Join(dir, "notes.zip")
	{
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		w, _ := zw.Create("notes/readme.txt")
		w.Write([]byte("hello"))
		zw.Close()
		os.WriteFile(notTorch, b.Bytes(), 0o644)
	}
	script := filepath.Join(dir, "script.zip")
	{
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for _, n := range []string{"m/data.pkl", "m/constants.pkl"} {
			w, _ := zw.Create(n)
			w.Write([]byte("\x80\x02}q\x00."))
		}
		zw.Close()
		os.WriteFile(script, b.Bytes(), 0o644)
	}
	text := filepath.Join(dir, "text.bin")
	os.WriteFile(text, []byte("just some text"), 0o644)
	state, _ := os.ReadFile("testdata/state.bin")
	truncated := filepath.Join(dir, "truncated.bin")
	os.WriteFile(truncated, state[:len(state)/2], 0o644)
	legacy, _ := os.ReadFile("testdata/state_legacy.bin")
	truncatedLegacy := filepath.Join(dir, "truncated_legacy.bin")
	os.WriteFile(truncatedLegacy, legacy[:len(legacy)-10], 0o644)

	tests := []struct {
		path, text string
		want       error
	}{
		{"testdata/forbidden.bin", "posix.system", ErrForbidden},
		{"testdata/bare_tensor.bin", "not a state dict", ErrFormat},
		{notTorch, "data.pkl", ErrFormat},
		{script, "TorchScript", ErrUnsupported},
		{text, "neither a zip", ErrFormat},
		{truncated, "zip", ErrFormat},
		{truncatedLegacy, "storage", ErrFormat},
		{filepath.Join(dir, "absent.bin"), "no such file", os.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			f, err := Open(tc.path)
			if err == nil {
				f.Close()
				t.Fatal("no error")
			}
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.path) || !strings.Contains(err.Error(), tc.text) {
				t.Errorf("err = %v; want %v naming the file and saying %q", err, tc.want, tc.text)
			}
		})
	}
}

// TestSharedModel checks the real pytorch_model.bin against the
// model.safetensors saved from the same BF16 state dict: same tensors,
// same bytes.
func TestSharedModel(t *testing.T) {
	dir := tensortest.SharedModel(t, "A-mistral")
	pt, err := Open(filepath.Join(dir, "pytorch_model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer pt.Close()
	st, err := safetensors.Open(filepath.Join(dir, "model.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if len(pt.Tensors()) != len(st.Tensors()) {
		t.Fatalf("%d tensors in pytorch_model.bin, %d in model.safetensors", len(pt.Tensors()), len(st.Tensors()))
	}
	for _, want := range st.Tensors() {
		got, ok := pt.Tensor(want.Name)
		if !ok || got.Dtype != want.Dtype || !slices.Equal(got.Shape, want.Shape) {
			t.Errorf("%s: %+v, want %+v", want.Name, got, want)
			continue
		}
		a, err1 := pt.Raw(want.Name)
		b, err2 := st.Raw(want.Name)
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: bytes differ (%v, %v)", want.Name, err1, err2)
		}
	}
}
