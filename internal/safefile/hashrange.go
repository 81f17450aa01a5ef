package safefile

import (
	"errors"
	"hash"
	"io"
	"os"
)

// hashWindow is the most of a file HashRange maps (or reads) at once.
const hashWindow = 64 << 20

// HashRange writes n bytes of f from offset off into h. Where the system
// can, it maps the file rather than reading it: a checksum of a file in
// the page cache then costs no copy into the process, which for
// checkpoints of many gigabytes took more time than the SHA-256 itself.
func HashRange(h hash.Hash, f *os.File, off, n int64) error {
	for n > 0 {
		size := min(n, hashWindow)
		if err := hashWindowAt(h, f, off, size); err != nil {
			return err
		}
		off += size
		n -= size
	}
	return nil
}

// hashByReading is HashRange's fallback: n ≤ hashWindow bytes read at off.
func hashByReading(h hash.Hash, f *os.File, off, n int64) error {
	buf := make([]byte, min(n, 1<<20))
	for n > 0 {
		k, err := f.ReadAt(buf[:min(n, int64(len(buf)))], off)
		h.Write(buf[:k])
		off += int64(k)
		n -= int64(k)
		if errors.Is(err, io.EOF) && n > 0 {
			return io.ErrUnexpectedEOF
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
	}
	return nil
}
