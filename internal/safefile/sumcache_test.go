package safefile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func sumOf(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// TestSumCache: a remembered checksum is served without reading the file
// (an entry planted by hand proves it), a changed file is hashed anew, and
// a file changed within the settle time is not remembered.
func TestSumCache(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SumCache remembers only on linux")
	}
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "weights")
	os.WriteFile(path, []byte("first"), 0o644)

	fresh := &SumCache{Dir: filepath.Join(dir, "fresh")}
	if got, err := fresh.SHA256(ctx, path); err != nil || got != sumOf([]byte("first")) {
		t.Fatalf("fresh file: %s, %v", got, err)
	}
	if entries, _ := os.ReadDir(fresh.Dir); len(entries) != 0 {
		t.Errorf("a file changed just now was remembered: %d entries", len(entries))
	}

	c := &SumCache{Dir: filepath.Join(dir, "cache"), Settle: time.Nanosecond}
	if got, err := c.SHA256(ctx, path); err != nil || got != sumOf([]byte("first")) {
		t.Fatalf("first hash: %s, %v", got, err)
	}
	entries, _ := os.ReadDir(c.Dir)
	if len(entries) != 1 {
		t.Fatalf("%d entries after one hash", len(entries))
	}
	planted := sumOf([]byte("planted"))
	os.WriteFile(filepath.Join(c.Dir, entries[0].Name()), []byte(planted), 0o644)
	if got, _ := c.SHA256(ctx, path); got != planted {
		t.Errorf("unchanged file hashed again: %s", got)
	}
	os.WriteFile(path, []byte("other"), 0o644) // same size, new contents
	if got, _ := c.SHA256(ctx, path); got != sumOf([]byte("other")) {
		t.Errorf("changed file: %s, want the new contents' sum", got)
	}
	os.WriteFile(filepath.Join(c.Dir, entries[0].Name()), []byte("not a sum"), 0o644)
	var none *SumCache
	for _, cache := range []*SumCache{c, none, {}} {
		if got, err := cache.SHA256(ctx, path); err != nil || got != sumOf([]byte("other")) {
			t.Errorf("%+v: %s, %v", cache, got, err)
		}
	}
	if _, err := c.SHA256(ctx, filepath.Join(dir, "missing")); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}
