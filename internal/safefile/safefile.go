// Package safefile writes files and directories that appear whole or not
// at all, with the permissions any new file gets, and checksums files,
// mapping them rather than reading them where the system allows
// (HashRange).
//
// Everything is first written under a hidden temporary name beside its
// final path, in the same directory so that the final rename is atomic.
// Temporary files are created with mode 0666 and directories with 0777,
// less the umask, as os.Create and os.Mkdir would: os.CreateTemp's 0600
// would survive the rename.
package safefile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// A File is a file being written under a temporary name; Commit gives it
// its final name, Abort removes it.
type File struct {
	*os.File
	path string
	done bool
}

// Create starts writing the file path.
func Create(path string) (*File, error) {
	name, err := tempName(path, func(name string) error {
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err == nil {
			err = f.Close()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		os.Remove(name)
		return nil, err
	}
	return &File{File: f, path: path}, nil
}

// Commit closes the file and renames it to its final path.
func (f *File) Commit() error {
	if f.done {
		return errors.New("safefile: file already committed or aborted")
	}
	f.done = true
	if err := f.File.Close(); err != nil {
		os.Remove(f.Name())
		return err
	}
	if err := os.Rename(f.Name(), f.path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return nil
}

// Abort closes and removes the file unless it was committed; it is safe to
// defer right after Create.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.Name())
}

// WriteFile writes data to path, whole or not at all.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return err
	}
	return f.Commit()
}

// TempDirBeside creates an empty hidden directory beside path, for a
// directory to be renamed to path once complete.
func TempDirBeside(path string) (string, error) {
	return tempName(path, func(name string) error { return os.Mkdir(name, 0o777) })
}

// tempName makes a fresh hidden name beside path with create.
func tempName(path string, create func(string) error) (string, error) {
	path = filepath.Clean(path)
	for range 100 {
		name := filepath.Join(filepath.Dir(path), fmt.Sprintf(".%s.tmp-%d", filepath.Base(path), rand.Uint32()))
		err := create(name)
		if !errors.Is(err, os.ErrExist) {
			return name, err
		}
	}
	return "", fmt.Errorf("cannot create a temporary name beside %s", path)
}

// SHA256 returns the hex SHA-256 of the file's contents.
func SHA256(ctx context.Context, path string) (string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer fh.Close()
	return sha256Of(ctx, fh)
}

// sha256Of hashes the whole of an open file.
func sha256Of(ctx context.Context, fh *os.File) (string, error) {
	fi, err := fh.Stat()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for off := int64(0); off < fi.Size(); off += hashWindow {
		if err := ctx.Err(); err != nil {
			return "", err
		}
		if err := HashRange(h, fh, off, min(hashWindow, fi.Size()-off)); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Within reports whether path is dir or lies inside it, comparing their
// absolute forms with symbolic links resolved as far as each exists, so
// that two spellings of one directory compare equal. An output that must
// not touch an input asks this.
func Within(path, dir string) (bool, error) {
	p, err := resolve(path)
	if err != nil {
		return false, err
	}
	d, err := resolve(dir)
	if err != nil {
		return false, err
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)), nil
}

// resolve returns the absolute path with symbolic links of its existing
// part resolved.
func resolve(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	var rest []string
	for {
		real, err := filepath.EvalSymlinks(abs)
		if err == nil {
			return filepath.Join(append([]string{real}, rest...)...), nil
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return filepath.Clean(path), nil
		}
		rest = append([]string{filepath.Base(abs)}, rest...)
		abs = parent
	}
}
