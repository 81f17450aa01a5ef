package safefile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWriteFileModeAndAtomicity(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "out.json")
	if err := WriteFile(path, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v (%v), want 0644 as os.Create gives under umask 022", st.Mode().Perm(), err)
	}
	f, err := Create(filepath.Join(dir, "aborted"))
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("partial"))
	f.Abort()
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
	d, err := TempDirBeside(filepath.Join(dir, "model"))
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(d); err != nil || st.Mode().Perm() != 0o755 || filepath.Dir(d) != dir {
		t.Fatalf("temp dir %s: %v %v", d, st.Mode().Perm(), err)
	}
}

func TestSHA256(t *testing.T) {
	path := filepath.Join(t.TempDir(), "abc")
	os.WriteFile(path, []byte("abc"), 0o644)
	got, err := SHA256(context.Background(), path)
	// FIPS 180-2, appendix B.1.
	if want := "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; err != nil || got != want {
		t.Errorf("got %s, %v", got, err)
	}
}

func TestWithin(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "model")
	os.Mkdir(in, 0o755)
	link := filepath.Join(dir, "link")
	os.Symlink(in, link)
	for _, tc := range []struct {
		path string
		want bool
	}{
		{in, true},
		{filepath.Join(in, "out"), true},
		{filepath.Join(link, "new", "out"), true},
		{filepath.Join(dir, "model-out"), false},
		{dir, false},
	} {
		if got, err := Within(tc.path, in); err != nil || got != tc.want {
			t.Errorf("Within(%s) = %v, %v", tc.path, got, err)
		}
	}
}

// HashRange gives the SHA-256 of the bytes it is asked for, whatever the
// offsets' alignment and across windows; a range past the end of the file
// is an error, not a crash.
func TestHashRange(t *testing.T) {
	data := make([]byte, 3*hashWindow/2+12345)
	for i := range data {
		data[i] = byte(i*131 + i>>11)
	}
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, r := range [][2]int64{{0, int64(len(data))}, {1, 4095}, {4095, 2}, {hashWindow - 3, 10}, {12345, hashWindow + 7}, {int64(len(data)) - 1, 1}, {0, 0}} {
		for _, read := range []bool{false, true} {
			h := sha256.New()
			hashed := HashRange
			if read {
				hashed = hashByReading
			}
			if err := hashed(h, f, r[0], r[1]); err != nil {
				t.Fatalf("range %v (read %v): %v", r, read, err)
			}
			want := sha256.Sum256(data[r[0] : r[0]+r[1]])
			if !bytes.Equal(h.Sum(nil), want[:]) {
				t.Errorf("range %v (read %v): wrong checksum", r, read)
			}
		}
	}
	if err := HashRange(sha256.New(), f, int64(len(data))-10, 1<<20); err == nil {
		t.Error("a range past the end of the file hashed without an error")
	}
	sum, err := SHA256(context.Background(), path)
	if want := sha256.Sum256(data); err != nil || sum != hex.EncodeToString(want[:]) {
		t.Errorf("SHA256 = %s, %v; want %x", sum, err, want)
	}
}
