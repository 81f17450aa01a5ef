package safetensors

import (
	"errors"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// copyFileRange copies up to n bytes from a file-backed *io.SectionReader to
// an *os.File with copy_file_range(2), advancing the section reader past what
// it copied, and writing at *woff (advanced too) or, when woff is nil, at the
// file's position. It returns 0 and no error when the pair does not qualify
// or the kernel declines, so the caller falls back to an ordinary copy.
func copyFileRange(dst any, woff *int64, src io.Reader, n int64) (int64, error) {
	out, ok := dst.(*os.File)
	sr, ok2 := src.(*io.SectionReader)
	if !ok || !ok2 {
		return 0, nil
	}
	outer, base, size := sr.Outer()
	in, ok := outer.(*os.File)
	if !ok {
		return 0, nil
	}
	pos, _ := sr.Seek(0, io.SeekCurrent) // cannot fail
	n = min(n, size-pos)
	off := base + pos
	var done int64
	var cerr error
	err := withFDs(in, out, func(rfd, wfd int) {
		for done < n {
			k, err := unix.CopyFileRange(rfd, &off, wfd, woff, int(min(n-done, 1<<30)), 0)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				if done == 0 && declined(err) {
					return
				}
				cerr = err
				return
			}
			if k == 0 {
				return // end of the source file: the caller reports short data
			}
			done += int64(k)
		}
	})
	sr.Seek(done, io.SeekCurrent)
	if err != nil {
		return done, err
	}
	return done, cerr
}

// declined reports errors by which the kernel says it cannot copy between
// these two files at all, as opposed to an I/O failure.
func declined(err error) bool {
	return errors.Is(err, unix.EXDEV) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) ||
		errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EBADF)
}

func withFDs(in, out *os.File, f func(rfd, wfd int)) error {
	rc, err := in.SyscallConn()
	if err != nil {
		return err
	}
	wc, err := out.SyscallConn()
	if err != nil {
		return err
	}
	var inner error
	err = rc.Control(func(rfd uintptr) {
		inner = wc.Control(func(wfd uintptr) { f(int(rfd), int(wfd)) })
	})
	if err != nil {
		return err
	}
	return inner
}
