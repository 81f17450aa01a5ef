package pytorch

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// Opcode argument layouts of the pickle protocol (0 to 5), for scanPickle.
const (
	argNone   = iota
	argFixed  // a fixed number of bytes
	argLen1   // a 1-byte length, then that many bytes
	argLen4   // a 4-byte little-endian length, then that many bytes
	argLen8   // an 8-byte little-endian length, then that many bytes
	argLine   // bytes up to a newline
	argLines2 // two newline-terminated lines (GLOBAL, INST)
	argFrame  // an 8-byte frame length; the frame's opcodes follow inline
)

type opArg struct{ kind, n int }

var opcodes = func() map[byte]opArg {
	m := map[byte]opArg{}
	for _, op := range []byte("(.012N\x88\x89]aelt)\x85\x86\x87}dsu\x8f\x90\x91QRb\x81\x92o\x93\x94\x97\x98") {
		m[op] = opArg{kind: argNone}
	}
	for op, n := range map[byte]int{'K': 1, 'h': 1, 'q': 1, 0x80: 1, 0x82: 1, 'M': 2, 0x83: 2, 'J': 4, 'j': 4, 'r': 4, 0x84: 4, 'G': 8} {
		m[op] = opArg{kind: argFixed, n: n}
	}
	for _, op := range []byte{'U', 0x8c, 'C', 0x8a} {
		m[op] = opArg{kind: argLen1}
	}
	for _, op := range []byte{'T', 'X', 'B', 0x8b} {
		m[op] = opArg{kind: argLen4}
	}
	for _, op := range []byte{0x8d, 0x8e, 0x96} {
		m[op] = opArg{kind: argLen8}
	}
	for _, op := range []byte("ILFSVpgP") {
		m[op] = opArg{kind: argLine}
	}
	m['c'] = opArg{kind: argLines2}
	m['i'] = opArg{kind: argLines2}
	m[0x95] = opArg{kind: argFrame}
	return m
}()

// maxLine bounds the newline-terminated arguments of text opcodes.
const maxLine = 1 << 16

// scanPickle walks one pickle's opcodes from r up to and including STOP,
// without building any value, and returns its length. It refuses unknown
// opcodes, lengths that run past the limit bytes left in the input (so the
// unpickler never allocates more than the file holds), and GLOBAL or INST
// names outside the allow-list.
func scanPickle(r *bufio.Reader, limit int64) (int64, error) {
	var pos int64
	skip := func(n int64) error {
		if n < 0 || n > limit-pos {
			return fmt.Errorf("%w: pickle argument of %d bytes at offset %d runs past the end", ErrFormat, n, pos)
		}
		if _, err := r.Discard(int(n)); err != nil {
			return fmt.Errorf("%w: pickle truncated at offset %d", ErrFormat, pos)
		}
		pos += n
		return nil
	}
	readLen := func(size int) (int64, error) {
		var b [8]byte
		if _, err := io.ReadFull(r, b[:size]); err != nil {
			return 0, fmt.Errorf("%w: pickle truncated at offset %d", ErrFormat, pos)
		}
		pos += int64(size)
		switch size {
		case 1:
			return int64(b[0]), nil
		case 4:
			return int64(int32(binary.LittleEndian.Uint32(b[:]))), nil
		}
		n := binary.LittleEndian.Uint64(b[:])
		if n > uint64(limit) {
			return 0, fmt.Errorf("%w: pickle length %d at offset %d runs past the end", ErrFormat, n, pos)
		}
		return int64(n), nil
	}
	readLine := func() (string, error) {
		line, err := r.ReadSlice('\n')
		if err != nil || len(line) > maxLine {
			return "", fmt.Errorf("%w: pickle text argument at offset %d is unterminated", ErrFormat, pos)
		}
		pos += int64(len(line))
		return strings.TrimSuffix(string(line), "\n"), nil
	}
	for {
		op, err := r.ReadByte()
		if err != nil {
			return pos, fmt.Errorf("%w: pickle ends without STOP", ErrFormat)
		}
		pos++
		arg, ok := opcodes[op]
		if !ok {
			return pos, fmt.Errorf("%w: unknown pickle opcode %#02x at offset %d", ErrFormat, op, pos-1)
		}
		switch arg.kind {
		case argFixed:
			err = skip(int64(arg.n))
		case argLen1, argLen4, argLen8:
			var n int64
			if n, err = readLen(map[int]int{argLen1: 1, argLen4: 4, argLen8: 8}[arg.kind]); err == nil {
				err = skip(n)
			}
		case argFrame:
			var n int64
			if n, err = readLen(8); err == nil && n > limit-pos {
				err = fmt.Errorf("%w: pickle frame of %d bytes runs past the end", ErrFormat, n)
			}
		case argLine:
			_, err = readLine()
		case argLines2:
			var module, name string
			if module, err = readLine(); err == nil {
				if name, err = readLine(); err == nil {
					err = checkGlobal(module, name)
				}
			}
		}
		if err != nil {
			return pos, err
		}
		if op == '.' {
			return pos, nil
		}
	}
}
