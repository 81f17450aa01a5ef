package safetensors

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// build returns a file made of the given JSON header and n data bytes.
func build(header string, n int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, n)...)
}

func TestBadFiles(t *testing.T) {
	withLen := func(n uint64, rest string) []byte {
		return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
	}
	tests := []struct {
		name   string
		data   []byte
		want   error
		tensor string // the tensor the error must name, if any
		text   string // a fragment the message must contain
	}{
		{"empty file", nil, ErrFormat, "", "too short"},
		{"truncated length", []byte{1, 2, 3}, ErrFormat, "", "too short"},
		{"length past end", withLen(100, "{}"), ErrFormat, "", "runs past the end"},
		{"absurd length", withLen(1<<62, "{}"), ErrFormat, "", "exceeds"},
		{"invalid JSON", build(`{"a":`, 0), ErrFormat, "a", "not valid JSON"},
		{"invalid JSON key", build(`{"a`, 0), ErrFormat, "", "not valid JSON"},
		{"not an object", build(`[1,2]`, 0), ErrFormat, "", "start with '{'"},
		{"trailing garbage", build(`{} {}`, 0), ErrFormat, "", "after its closing brace"},
		{"invalid UTF-8", build("{\"\xff\":1}", 0), ErrFormat, "", "UTF-8"},
		{"metadata not strings", build(`{"__metadata__":{"a":1}}`, 0), ErrFormat, "", "__metadata__"},
		{"tensor not an object", build(`{"w":3}`, 0), ErrFormat, "w", "not a tensor"},
		{"no dtype", build(`{"w":{"shape":[1],"data_offsets":[0,4]}}`, 4), ErrFormat, "w", "no dtype"},
		{"no shape", build(`{"w":{"dtype":"F32","data_offsets":[0,4]}}`, 4), ErrFormat, "w", "no shape"},
		{"three offsets", build(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, 4), ErrFormat, "w", "pair"},
		{"unknown dtype", build(`{"w":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}`, 4), ErrDtype, "w", `"F12"`},
		{"negative dim", build(`{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}`, 4), ErrFormat, "w", "out of range"},
		{"duplicate name", build(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2), ErrFormat, "w", "twice"},
		{"size mismatch", build(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4), ErrFormat, "w", "needs 8 bytes"},
		{"end before begin", build(`{"w":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}`, 4), ErrFormat, "w", "out of order"},
		{"negative begin", build(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[-1,0]}}`, 4), ErrFormat, "w", "out of order"},
		{"out of range", build(`{"w":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}`, 4), ErrFormat, "w", "run past"},
		{"overlap", build(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}`, 4), ErrFormat, "b", `overlap tensor "a"`},
		{"gap", build(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[1],"data_offsets":[3,4]}}`, 4), ErrFormat, "b", "unused bytes"},
		{"trailing data", build(`{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}`, 4), ErrFormat, "", "cover 2"},
		{"huge shape", build(`{"a":{"dtype":"F64","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,8]}}`, 8), ErrFormat, "a", "more bytes"},
	}
	dir := t.TempDir()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".safetensors")
			if err := os.WriteFile(path, tc.data, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := Open(path)
			if err == nil {
				f.Close()
				t.Fatal("no error")
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, path) || !strings.Contains(msg, tc.text) {
				t.Errorf("message %q should name the file and say %q", msg, tc.text)
			}
			var e *Error
			if !errors.As(err, &e) || e.Tensor != tc.tensor {
				t.Errorf("error names tensor %q, want %q", e.Tensor, tc.tensor)
			}
		})
	}
}

// TestTruncatedData covers a file cut short after a valid header was
// written: the header's promises exceed the file, so Open refuses it.
func TestTruncatedData(t *testing.T) {
	full := build(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, 16)
	for cut := 1; cut < len(full); cut++ {
		if _, err := NewReader(bytes.NewReader(full[:cut]), int64(cut)); !errors.Is(err, ErrFormat) {
			t.Fatalf("cut at %d: err = %v", cut, err)
		}
	}
}

// FuzzHeader feeds arbitrary bytes to the reader: it must never panic, and a
// file it accepts must have tensors that tile the data section and read back.
func FuzzHeader(f *testing.F) {
	f.Add(build(`{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 8))
	f.Add(build(`{"a":{"dtype":"BF16","shape":[1,2],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[],"data_offsets":[4,5]}}`, 5))
	f.Add(build(`{}`, 0))
	if seed, err := os.ReadFile("testdata/python.safetensors"); err == nil {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		var end int64
		for _, info := range file.Tensors() {
			if info.Begin != end || info.End-info.Begin != info.ByteSize() {
				t.Fatalf("accepted a file whose tensors do not tile: %+v", info)
			}
			end = info.End
			if _, err := file.Raw(info.Name); err != nil {
				t.Fatalf("accepted tensor %q unreadable: %v", info.Name, err)
			}
			if info.Dtype.IsFloat() {
				if _, _, err := file.Float32(info.Name); err != nil {
					t.Fatalf("float tensor %q: %v", info.Name, err)
				}
			}
		}
	})
}
