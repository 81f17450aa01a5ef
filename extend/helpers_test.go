package extend

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// tokenizerDir finds a tokenizer by name: the copies in package
// tokenizer's testdata, its synthetic tokenizers, or shared/tokenizers
// above the repository. It skips the test when the tokenizer is nowhere.
func tokenizerDir(tb testing.TB, name string) string {
	tb.Helper()
	for _, dir := range []string{
		filepath.Join("..", "tokenizer", "testdata", "tokenizers", name),
		filepath.Join("..", "tokenizer", "testdata", "synthetic", name),
	} {
		if _, err := os.Stat(dir); err == nil {
			return dir
		}
	}
	if dir := sharedDir("tokenizers", name); dir != "" {
		return dir
	}
	tb.Skipf("tokenizer %s: not in testdata, and no shared/tokenizers above the package", name)
	return ""
}

// sharedDir returns shared/<kind>/<name> in a directory above this one, or
// "".
func sharedDir(kind, name string) string {
	dir, _ := filepath.Abs(".")
	for {
		p := filepath.Join(dir, "shared", kind, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

var bases sync.Map // name → *Base

func openBase(tb testing.TB, name string) *Base {
	tb.Helper()
	if b, ok := bases.Load(name); ok {
		return b.(*Base)
	}
	b, err := Open(tokenizerDir(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	bases.Store(name, b)
	return b
}

func readGzip(tb testing.TB, path string) []byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	data, err := io.ReadAll(z)
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// testCorpus is the learning corpus of the goldens.
func testCorpus(tb testing.TB) []byte {
	return readGzip(tb, filepath.Join("testdata", "corpus.txt.gz"))
}

func readJSONLines[T any](tb testing.TB, path string) []T {
	tb.Helper()
	var out []T
	sc := bufio.NewScanner(bytes.NewReader(readGzip(tb, path)))
	sc.Buffer(nil, 1<<26)
	for sc.Scan() {
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			tb.Fatalf("%s: line %d: %v", path, len(out)+1, err)
		}
		out = append(out, v)
	}
	return out
}

func learn(tb testing.TB, b *Base, corpus []byte, opts Options) *Extension {
	tb.Helper()
	ext, err := Learn(context.Background(), b, bytes.NewReader(corpus), opts)
	if err != nil {
		tb.Fatal(err)
	}
	return ext
}

// chunkedCount encodes text as Learn reads it, in chunks, and returns the
// token count.
func chunkedCount(tokenize func(string) []int, text []byte) int64 {
	var n int64
	for off := 0; off < len(text); {
		end := len(text)
		if end-off >= chunkSize {
			end = off + chunkEnd(text[off:off+chunkSize])
		}
		n += int64(len(tokenize(string(text[off:end]))))
		off = end
	}
	return n
}
