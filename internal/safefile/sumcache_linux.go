package safefile

import (
	"fmt"
	"io/fs"
	"syscall"
	"time"
)

// fileIdentity is what, besides path and size, tells one version of a file
// from another: device, inode and both times to the nanosecond.
func fileIdentity(fi fs.FileInfo) (id string, changed time.Time, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", time.Time{}, false
	}
	id = fmt.Sprintf("%d:%d:%d.%09d:%d.%09d", st.Dev, st.Ino, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
	changed = time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
	if m := time.Unix(st.Mtim.Sec, st.Mtim.Nsec); m.After(changed) {
		changed = m
	}
	return id, changed, true
}
