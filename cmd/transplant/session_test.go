package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/transplant-dev/transplant/internal/safefile"
)

// TestChecksumCache: run remembers the checksums of the inputs that have
// settled in TRANSPLANT_CHECKSUM_CACHE, reads them back on the next run
// (entries planted by hand show up in transplant.json) and, set to "off",
// neither reads nor writes the cache.
func TestChecksumCache(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the checksum cache remembers only on linux")
	}
	cache := t.TempDir()
	t.Setenv(checksumCacheEnv, cache)
	start := time.Now()
	inputs := func(out string) map[string]string {
		data, err := os.ReadFile(filepath.Join(out, "transplant.json"))
		if err != nil {
			t.Fatal(err)
		}
		var rep struct {
			Inputs []struct{ Path, SHA256 string } `json:"inputs"`
		}
		json.Unmarshal(data, &rep)
		sums := map[string]string{}
		for _, f := range rep.Inputs {
			sums[f.Path] = f.SHA256
		}
		return sums
	}
	run := func(name string) map[string]string {
		out := filepath.Join(t.TempDir(), name)
		if _, err := runCLI(t, "run", "--base", exampleBase, "--tokenizer", exampleTok, "--method", "mean", "--out", out); err != nil {
			t.Fatal(err)
		}
		return inputs(out)
	}
	first := run("first")
	settled := 0
	for path := range first {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if start.Sub(time.Unix(st.Ctim.Sec, st.Ctim.Nsec)) >= safefile.DefaultSettle {
			settled++
		}
	}
	if settled == 0 {
		t.Skipf("every input changed less than %v ago (a fresh checkout): nothing to remember yet", safefile.DefaultSettle)
	}
	entries, _ := os.ReadDir(cache)
	if len(entries) != settled {
		t.Fatalf("%d entries for %d settled inputs of %d", len(entries), settled, len(first))
	}
	planted := strings.Repeat("ab", 32)
	for _, e := range entries {
		os.WriteFile(filepath.Join(cache, e.Name()), []byte(planted), 0o644)
	}
	got := 0
	for _, sum := range run("second") {
		if sum == planted {
			got++
		}
	}
	if got != settled {
		t.Errorf("%d of %d remembered checksums read back", got, settled)
	}
	t.Setenv(checksumCacheEnv, "off")
	for path, sum := range run("off") {
		if sum != first[path] {
			t.Errorf("%s: %s with the cache off, %s before", path, sum, first[path])
		}
	}
}
