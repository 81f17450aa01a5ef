package safefile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// A SumCache remembers the SHA-256 of the files it hashes, keyed by what
// stat says of each (its absolute path, device, inode, size, modification
// and change times), so that a multi-gigabyte checkpoint read by run after
// run (a sweep of methods over one base, a batch checking what it has
// already done) is hashed once. Any write to a file moves its change time,
// which no program sets, so a changed file is hashed anew. A file changed
// less than Settle before it is hashed is not remembered: a second write
// within the file system's clock tick could keep every field the same.
// Files on network and FUSE file systems, whose clients may report
// attributes that lag the contents, are never remembered; nor is anything
// off Linux.
//
// A nil *SumCache, or one with no Dir, remembers nothing. The cache is
// best effort: an entry it cannot read or write is a miss, never an error.
type SumCache struct {
	// Dir holds one small file per remembered checksum.
	Dir string
	// Settle is how old a file's last change must be for its checksum to
	// be kept; 0 means DefaultSettle.
	Settle time.Duration
}

// DefaultSettle is far longer than any file system's timestamp tick.
const DefaultSettle = 2 * time.Second

// SHA256 returns the hex SHA-256 of the file's contents, from the cache
// when the file is unchanged since it was remembered.
func (c *SumCache) SHA256(ctx context.Context, path string) (string, error) {
	if c == nil || c.Dir == "" {
		return SHA256(ctx, path)
	}
	start := time.Now()
	abs, err := filepath.Abs(path)
	if err != nil {
		return SHA256(ctx, path)
	}
	// The key comes from the descriptor that is hashed, not from a stat of
	// the path: a file replaced between the two would be keyed by one
	// version and hashed as the other.
	fh, err := os.Open(abs)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	key, changed, ok := entryKey(abs, fh)
	if !ok {
		return sha256Of(ctx, fh)
	}
	entry := filepath.Join(c.Dir, key)
	if data, err := os.ReadFile(entry); err == nil && validSum(string(data)) {
		return string(data), nil
	}
	sum, err := sha256Of(ctx, fh)
	if err != nil {
		return "", err
	}
	settle := c.Settle
	if settle <= 0 {
		settle = DefaultSettle
	}
	if after, _, ok := entryKey(abs, fh); ok && after == key && start.Sub(changed) >= settle {
		if os.MkdirAll(c.Dir, 0o777) == nil {
			WriteFile(entry, []byte(sum)) // best effort: a failure is a later miss
		}
	}
	return sum, nil
}

// entryKey names the cache entry of the open file abs as it is now, and
// says when it last changed; ok is false where the system gives no
// trustworthy identity.
func entryKey(abs string, fh *os.File) (key string, changed time.Time, ok bool) {
	fi, err := fh.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return "", time.Time{}, false
	}
	id, changed, ok := fileIdentity(fh, fi)
	if !ok {
		return "", time.Time{}, false
	}
	h := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%s", abs, fi.Size(), id))
	return hex.EncodeToString(h[:]), changed, true
}

// validSum reports whether s is a hex SHA-256, as an entry must hold.
func validSum(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
