package checkpoint

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"sync"

	"github.com/transplant-dev/transplant/internal/safefile"
)

// A trailer checksums a file while it is being written, mapping it through
// a second descriptor up to where the writer says it has got
// (safefile.HashRange). The bytes it hashes were just written, so they are
// in the page cache and are hashed there, never copied; meanwhile the
// writer goes on copying, in the kernel (copy_file_range) where it can, on
// another core. Checksumming the output then costs no second pass over it.
type trailer struct {
	mu     sync.Mutex
	cond   *sync.Cond
	avail  int64 // bytes of the file the writer has finished
	closed bool  // the writer is done: avail is the file's size
	res    chan trailed
}

type trailed struct {
	sum string
	n   int64
	err error
}

// trail starts checksumming the file at path, which the caller writes. A
// nil trailer, for files not checksummed, accepts every call and sums
// nothing.
func trail(path string) *trailer {
	t := &trailer{res: make(chan trailed, 1)}
	t.cond = sync.NewCond(&t.mu)
	go func() { t.res <- t.run(path) }()
	return t
}

// wrote says the first n bytes of the file are written.
func (t *trailer) wrote(n int64) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.avail = max(t.avail, n)
	t.mu.Unlock()
	t.cond.Broadcast()
}

// finish says the file is complete at n bytes and waits for its checksum.
// After an abandoned write, call it with -1: the checksum is dropped.
func (t *trailer) finish(n int64) (sum string, err error) {
	if t == nil {
		return "", nil
	}
	t.mu.Lock()
	t.avail, t.closed = max(t.avail, n), true
	t.mu.Unlock()
	t.cond.Broadcast()
	r := <-t.res
	if n >= 0 && r.err == nil && r.n != n {
		r.err = fmt.Errorf("checksummed %d bytes of %d", r.n, n)
	}
	return r.sum, r.err
}

func (t *trailer) run(path string) trailed {
	h := sha256.New()
	var off int64
	f, err := os.Open(path)
	if err != nil {
		t.drain()
		return trailed{err: err}
	}
	defer f.Close()
	for {
		t.mu.Lock()
		for off >= t.avail && !t.closed {
			t.cond.Wait()
		}
		avail, closed := t.avail, t.closed
		t.mu.Unlock()
		if off < avail {
			if err := safefile.HashRange(h, f, off, avail-off); err != nil {
				t.drain()
				return trailed{err: err}
			}
			off = avail
		}
		if closed {
			return trailed{sum: hex.EncodeToString(h.Sum(nil)), n: off}
		}
	}
}

// drain waits for the writer to finish, so finish never blocks on a
// trailer that gave up.
func (t *trailer) drain() {
	t.mu.Lock()
	for !t.closed {
		t.cond.Wait()
	}
	t.mu.Unlock()
}
