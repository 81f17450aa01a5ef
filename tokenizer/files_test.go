package tokenizer

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestFiles(t *testing.T) {
	dir := filepath.Join("testdata", "tokenizers", "mistral-7b-v0.1")
	files, err := Files(dir)
	if err != nil {
		t.Fatal(err)
	}
	gz, err := os.Open(filepath.Join(dir, "tokenizer.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(files["tokenizer.json"], want) {
		t.Error("tokenizer.json is not the decompressed file")
	}
	for _, name := range []string{"tokenizer_config.json", "special_tokens_map.json"} {
		if _, ok := files[name]; !ok {
			t.Errorf("%s missing", name)
		}
	}
	if len(files) != 3 {
		t.Errorf("got %d files, want 3", len(files))
	}
	if _, err := Files(t.TempDir()); err == nil {
		t.Error("a directory without tokenizer.json gave no error")
	}
}
