package utf8text

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestFirstInvalid(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"plain", -1},
		{"naïve 日本", -1},
		{"caf\xe9 au lait", 3},
		{"ok \xe6\x97", 3},           // cut short at the end
		{"\xff", 0},                  // never valid
		{"a\xed\xa0\x80b", 1},        // a surrogate
		{"\xf0\x9f\x98\x80 \xc0", 5}, // an overlong form after an emoji
	} {
		if got := FirstInvalid([]byte(tc.in)); got != tc.want {
			t.Errorf("FirstInvalid(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestReadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "latin1.txt")
	os.WriteFile(path, []byte("line one\ncaf\xe9\n"), 0o644)
	_, err := ReadFile(path)
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrNotUTF8) || e.Offset != 12 || e.Byte != 0xe9 || e.Path != path {
		t.Errorf("got %v", err)
	}
}
