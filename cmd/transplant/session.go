package main

import (
	"context"
	"os"
	"path/filepath"

	"github.com/transplant-dev/transplant"
)

// checksumCacheEnv names the directory where the checksums of input files
// are remembered between commands (transplant.Inputs.ChecksumCache);
// "off" remembers none. Unset, it is transplant/sha256 in the user's cache
// directory.
const checksumCacheEnv = "TRANSPLANT_CHECKSUM_CACHE"

// openSession opens a session as every command does: with the checksum
// cache.
func openSession(ctx context.Context, in transplant.Inputs) (*transplant.Session, error) {
	in.ChecksumCache = checksumCacheDir()
	return transplant.Open(ctx, in)
}

func checksumCacheDir() string {
	switch dir := os.Getenv(checksumCacheEnv); dir {
	case "off":
		return ""
	case "":
		base, err := os.UserCacheDir()
		if err != nil {
			return ""
		}
		return filepath.Join(base, "transplant", "sha256")
	default:
		return dir
	}
}
