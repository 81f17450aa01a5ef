package cooc

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/transplant-dev/transplant/internal/utf8text"
)

// ErrNotUTF8 reports a text that is not valid UTF-8. The error returned
// is an *EncodingError wrapping it, with the offset of the bad byte.
var ErrNotUTF8 = errors.New("text is not valid UTF-8")

// An EncodingError locates the first byte of a text that does not start a
// valid UTF-8 sequence (or starts one the text cuts short).
type EncodingError struct {
	Offset int64 // from the start of the text, a byte order mark included
	Byte   byte
}

func (e *EncodingError) Error() string {
	return fmt.Sprintf("%v: byte 0x%02x at offset %d", ErrNotUTF8, e.Byte, e.Offset)
}

func (e *EncodingError) Unwrap() error { return ErrNotUTF8 }

// maxChunk bounds the bytes of one chunk, so that a text without blank
// lines neither lands in the tokenizer whole nor keeps one worker busy
// while the others wait.
const maxChunk = 64 << 10

// readSize is how much the chunker asks of the reader at a time.
const readSize = 256 << 10

// A chunker cuts a UTF-8 text into the pieces the tokenizer encodes and
// co-occurrence windows stay inside: right after each blank line ("\n\n"
// or "\n\r\n"), so a paragraph keeps its separator, and pieces longer than
// maxChunk after their last line break, else their last space, else at a
// character boundary. A leading byte order mark is dropped. Every byte is
// checked before it leaves: the first ill-formed sequence ends the text
// with an *EncodingError.
type chunker struct {
	r        io.Reader
	store    []byte // the memory buf lives in
	buf      []byte // bytes read and not yet handed out
	off      int64  // offset of buf[0] in the text
	scanned  int    // buf[:scanned] holds no blank line
	eof      bool
	started  bool // the byte order mark has been looked for
	maxChunk int
}

func newChunker(r io.Reader, maxChunk int) *chunker {
	return &chunker{r: r, maxChunk: maxChunk}
}

// next returns the next chunk, or io.EOF after the last one. A chunk is
// never empty.
func (c *chunker) next() (string, error) {
	for !c.started {
		if c.eof || len(c.buf) >= len(bom) {
			c.dropBOM()
			break
		}
		if err := c.fill(); err != nil {
			return "", err
		}
	}
	for {
		if n := c.cut(); n > 0 {
			return c.emit(n)
		}
		if c.eof {
			if len(c.buf) == 0 {
				return "", io.EOF
			}
			return c.emit(len(c.buf))
		}
		if err := c.fill(); err != nil {
			return "", err
		}
	}
}

// cut returns the length of the next chunk if buf holds its end, else 0.
func (c *chunker) cut() int {
	limit := min(len(c.buf), c.maxChunk)
	from := max(c.scanned-2, 0) // a blank line may straddle the last read
	if i := blankLineEnd(c.buf[from:limit]); i >= 0 {
		c.scanned = 0
		return from + i
	}
	c.scanned = limit
	if len(c.buf) < c.maxChunk {
		return 0
	}
	c.scanned = 0
	head := c.buf[:c.maxChunk]
	if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
		return i + 1
	}
	if i := bytes.LastIndexByte(head, ' '); i >= 0 {
		return i + 1
	}
	// No break at all: cut before the last character if head holds only
	// its start, so that a valid character is never split.
	n := len(head)
	for i := n - 1; i >= max(n-utf8.UTFMax+1, 1); i-- {
		if utf8.RuneStart(head[i]) {
			if utf8.FullRune(head[i:]) {
				return n
			}
			return i
		}
	}
	return n
}

// blankLineEnd returns the index just past the first "\n\n" or "\n\r\n"
// in b, or -1.
func blankLineEnd(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
		if i < len(b) && b[i] == '\n' {
			return i + 1
		}
		if i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
			return i + 2
		}
	}
}

// emit validates and hands out buf[:n].
func (c *chunker) emit(n int) (string, error) {
	b := c.buf[:n]
	if i := utf8text.FirstInvalid(b); i >= 0 {
		return "", &EncodingError{Offset: c.off + int64(i), Byte: b[i]}
	}
	s := string(b)
	c.buf = c.buf[n:]
	c.off += int64(n)
	c.scanned = max(c.scanned-n, 0)
	return s, nil
}

// fill reads more of the text into buf.
func (c *chunker) fill() error {
	if cap(c.buf)-len(c.buf) < readSize {
		if len(c.buf)+readSize > cap(c.store) {
			c.store = make([]byte, max(2*cap(c.store), len(c.buf)+readSize))
		}
		c.buf = c.store[:copy(c.store, c.buf)]
	}
	n, err := c.r.Read(c.buf[len(c.buf) : len(c.buf)+readSize])
	c.buf = c.buf[:len(c.buf)+n]
	switch {
	case err == io.EOF:
		c.eof = true
	case err != nil:
		return fmt.Errorf("cooc: reading text: %w", err)
	}
	return nil
}

const bom = "\uFEFF"

func (c *chunker) dropBOM() {
	c.started = true
	if bytes.HasPrefix(c.buf, []byte(bom)) {
		c.buf = c.buf[len(bom):]
		c.off = int64(len(bom))
	}
}
