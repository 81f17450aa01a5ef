// Package utf8text checks that texts are UTF-8 and says where they are not,
// so that every command that reads a text names the first bad byte.
package utf8text

import (
	"errors"
	"fmt"
	"os"
	"unicode/utf8"
)

// ErrNotUTF8 reports a text that is not valid UTF-8.
var ErrNotUTF8 = errors.New("not valid UTF-8")

// An Error locates the first byte of a text that does not start a valid
// UTF-8 sequence (or starts one the text cuts short).
type Error struct {
	Path   string // the file, when the text is one
	Offset int64  // from the start of the text
	Byte   byte
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%v: byte 0x%02x at offset %d", ErrNotUTF8, e.Byte, e.Offset)
	if e.Path != "" {
		s = e.Path + ": " + s
	}
	return s
}

func (e *Error) Unwrap() error { return ErrNotUTF8 }

// FirstInvalid returns the index of the first byte of b that does not start
// a valid UTF-8 sequence, or -1. A sequence b cuts short counts as invalid.
func FirstInvalid(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// ReadFile reads the text at path and checks it is UTF-8 (else an *Error).
func ReadFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if i := FirstInvalid(b); i >= 0 {
		return nil, &Error{Path: path, Offset: int64(i), Byte: b[i]}
	}
	return b, nil
}
