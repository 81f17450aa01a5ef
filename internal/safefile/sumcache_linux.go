package safefile

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// fileIdentity is what, besides path and size, tells one version of an
// open file from another: device, inode and both times to the nanosecond.
// Network and FUSE file systems give none: their clients may report cached
// attributes of a file whose contents have changed, or make them up.
func fileIdentity(fh *os.File, fi fs.FileInfo) (id string, changed time.Time, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", time.Time{}, false
	}
	var sfs unix.Statfs_t
	if unix.Fstatfs(int(fh.Fd()), &sfs) != nil || remoteFS[int64(sfs.Type)] {
		return "", time.Time{}, false
	}
	id = fmt.Sprintf("%d:%d:%d.%09d:%d.%09d", st.Dev, st.Ino, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
	changed = time.Unix(st.Ctim.Sec, st.Ctim.Nsec)
	if m := time.Unix(st.Mtim.Sec, st.Mtim.Nsec); m.After(changed) {
		changed = m
	}
	return id, changed, true
}

// remoteFS lists the statfs magic numbers of file systems whose attributes
// do not reliably follow their contents.
var remoteFS = map[int64]bool{
	unix.NFS_SUPER_MAGIC:  true,
	unix.SMB_SUPER_MAGIC:  true,
	unix.SMB2_SUPER_MAGIC: true,
	unix.CIFS_SUPER_MAGIC: true,
	unix.FUSE_SUPER_MAGIC: true,
	unix.AFS_SUPER_MAGIC:  true,
	unix.CODA_SUPER_MAGIC: true,
	unix.V9FS_MAGIC:       true,
	unix.CEPH_SUPER_MAGIC: true,
}
