package cooc

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

// readChunks runs a chunker over text to the end or the first error.
func readChunks(t testing.TB, r io.Reader, maxChunk int) ([]string, error) {
	t.Helper()
	ch := newChunker(r, maxChunk)
	var out []string
	for {
		s, err := ch.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
}

func TestChunkerCuts(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		maxChunk int
		want     []string
	}{
		{"empty", "", 64, nil},
		{"one paragraph", "a b\nc d\n", 64, []string{"a b\nc d\n"}},
		{"blank lines end chunks", "a\n\nb\n\n\nc", 64, []string{"a\n\n", "b\n\n", "\nc"}},
		{"windows blank line", "a\r\n\r\nb", 64, []string{"a\r\n\r\n", "b"}},
		{"long: last line break", "aaa\nbbb ccc\ndd", 8, []string{"aaa\n", "bbb ccc\n", "dd"}},
		{"long: last space", "aaa bbb ccc", 8, []string{"aaa bbb ", "ccc"}},
		{"long: character boundary", "ééééé", 5, []string{"éé", "éé", "é"}},
		{"long: exact fit", "aaaaaaaaaa", 5, []string{"aaaaa", "aaaaa"}},
		{"byte order mark dropped", "\uFEFFa\n\nb", 64, []string{"a\n\n", "b"}},
		{"byte order mark only at the start", "a\uFEFF", 64, []string{"a\uFEFF"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(tt.text), iotest.OneByteReader(strings.NewReader(tt.text))} {
				got, err := readChunks(t, r, tt.maxChunk)
				if err != nil {
					t.Fatal(err)
				}
				if !equalStrings(got, tt.want) {
					t.Errorf("chunks %q, want %q", got, tt.want)
				}
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestChunkerRejectsInvalidUTF8(t *testing.T) {
	long := strings.Repeat("word ", 100_000) // past one read of the chunker
	tests := []struct {
		name   string
		text   string
		offset int64
		b      byte
	}{
		{"latin-1", "caf\xe9\n", 3, 0xe9},
		{"truncated at the end", "ab\xe2\x82", 2, 0xe2},
		{"truncated before a blank line", "ab\xe2\x82\n\nc", 2, 0xe2},
		{"lone continuation byte", "a\n\nb\x80", 4, 0x80},
		{"surrogate", "\xed\xa0\x80", 0, 0xed},
		{"overlong", "\xc0\xaf", 0, 0xc0},
		{"after a byte order mark", "\uFEFFx\xff", 4, 0xff},
		{"far into the text", long + "\xfe" + long, int64(len(long)), 0xfe},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readChunks(t, strings.NewReader(tt.text), maxChunk)
			var e *EncodingError
			if !errors.As(err, &e) || !errors.Is(err, ErrNotUTF8) {
				t.Fatalf("error %v, want an EncodingError", err)
			}
			if e.Offset != tt.offset || e.Byte != tt.b {
				t.Errorf("offset %d byte %#x, want %d %#x", e.Offset, e.Byte, tt.offset, tt.b)
			}
		})
	}
}

func TestChunkerReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := readChunks(t, io.MultiReader(strings.NewReader("a b"), iotest.ErrReader(boom)), 64)
	if !errors.Is(err, boom) {
		t.Errorf("error %v, want %v", err, boom)
	}
}

// firstInvalid is the reference for the offset an EncodingError names.
func firstInvalid(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// FuzzChunker checks that chunks put back together give the text (less a
// byte order mark), each stays within its bound and holds a blank line
// only at its end, and that ill-formed UTF-8 stops the text at its first
// bad byte, however the reader cuts its reads.
func FuzzChunker(f *testing.F) {
	f.Add([]byte("a b\n\nc d\r\n\r\ne"), uint8(4), false)
	f.Add([]byte("\uFEFFéé\n\n\xffx"), uint8(3), true)
	f.Add([]byte("caf\xe9 au lait\n\n"), uint8(0), false)
	f.Fuzz(func(t *testing.T, text []byte, bound uint8, oneByte bool) {
		maxChunk := int(bound)%64 + utf8.UTFMax
		var r io.Reader = bytes.NewReader(text)
		if oneByte {
			r = iotest.OneByteReader(r)
		}
		chunks, err := readChunks(t, r, maxChunk)
		body := bytes.TrimPrefix(text, []byte(bom))
		skipped := len(text) - len(body)
		var joined []byte
		for _, c := range chunks {
			if c == "" || len(c) > maxChunk || !utf8.ValidString(c) {
				t.Fatalf("chunk %q (bound %d)", c, maxChunk)
			}
			if i := blankLineEnd([]byte(c)); i >= 0 && i != len(c) {
				t.Fatalf("chunk %q has a blank line inside", c)
			}
			joined = append(joined, c...)
		}
		bad := firstInvalid(body)
		if bad < 0 {
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(joined, body) {
				t.Fatalf("chunks give %q, want %q", joined, body)
			}
			return
		}
		var e *EncodingError
		if !errors.As(err, &e) {
			t.Fatalf("error %v, want an EncodingError at %d", err, bad+skipped)
		}
		if e.Offset != int64(bad+skipped) || e.Byte != body[bad] {
			t.Fatalf("offset %d byte %#x, want %d %#x", e.Offset, e.Byte, bad+skipped, body[bad])
		}
		if !bytes.HasPrefix(body, joined) || len(joined) > bad {
			t.Fatalf("chunks before the error give %q", joined)
		}
	})
}
