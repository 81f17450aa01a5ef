package precompiled

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"
)

// ErrFormat is wrapped by every error Parse returns for a malformed charsmap.
var ErrFormat = errors.New("precompiled: malformed charsmap")

// A Normalizer rewrites text with a SentencePiece precompiled charsmap.
// It is immutable once parsed and safe for concurrent use.
type Normalizer struct {
	trie doubleArray
	pool string // NUL-terminated replacement strings, addressed by trie values

	// ascii caches the lookup of each one-byte cluster, the commonest kind.
	ascii [utf8.RuneSelf]replacement
}

type replacement struct {
	with string
	ok   bool
}

// Parse reads a SentencePiece precompiled charsmap (the bytes after base64
// decoding). It copies what it keeps, so charsmap may be reused afterwards.
func Parse(charsmap []byte) (*Normalizer, error) {
	if len(charsmap) < 4 {
		return nil, fmt.Errorf("%w: %d bytes, too short for the trie size", ErrFormat, len(charsmap))
	}
	size := uint64(binary.LittleEndian.Uint32(charsmap))
	rest := charsmap[4:]
	switch {
	case size == 0:
		return nil, fmt.Errorf("%w: empty trie", ErrFormat)
	case size%4 != 0:
		return nil, fmt.Errorf("%w: trie size %d is not a multiple of 4", ErrFormat, size)
	case size > uint64(len(rest)):
		return nil, fmt.Errorf("%w: trie size %d exceeds the %d bytes that follow it", ErrFormat, size, len(rest))
	}
	trie := make(doubleArray, size/4)
	for i := range trie {
		trie[i] = binary.LittleEndian.Uint32(rest[4*i:])
	}
	pool := rest[size:]
	if !utf8.Valid(pool) {
		return nil, fmt.Errorf("%w: replacement strings are not valid UTF-8", ErrFormat)
	}
	n := &Normalizer{trie: trie, pool: string(pool)}
	for c := range n.ascii {
		n.ascii[c].with, n.ascii[c].ok = n.lookup(string(rune(c)))
	}
	return n, nil
}
