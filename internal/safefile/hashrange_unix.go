//go:build linux || darwin || freebsd || netbsd || openbsd

package safefile

import (
	"fmt"
	"hash"
	"os"
	"runtime/debug"

	"golang.org/x/sys/unix"
)

// hashWindowAt maps the pages that hold n bytes of f at off and hashes
// them; a file the system will not map (a pipe, a special file) is read.
// A file cut short while it is hashed faults instead of reading short:
// the fault comes back as an error, not a crash.
func hashWindowAt(h hash.Hash, f *os.File, off, n int64) (err error) {
	page := int64(os.Getpagesize())
	start := off - off%page
	data, err := unix.Mmap(int(f.Fd()), start, int(off-start+n), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return hashByReading(h, f, off, n)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s changed while it was checksummed: %v", f.Name(), r)
		}
		if uerr := unix.Munmap(data); err == nil {
			err = uerr
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	h.Write(data[off-start:])
	return nil
}
