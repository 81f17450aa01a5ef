package checkpoint

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/safetensors"
)

func openT(t *testing.T, path string) *Model {
	t.Helper()
	m, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// sameTensors checks that every tensor of want is in got with the same
// dtype, shape and bytes, except the names in skip.
func sameTensors(t *testing.T, got, want *Model, skip ...string) {
	t.Helper()
	for _, w := range want.Tensors() {
		if slices.Contains(skip, w.Name) {
			continue
		}
		g, ok := got.Tensor(w.Name)
		if !ok || g.Dtype != w.Dtype || !slices.Equal(g.Shape, w.Shape) {
			t.Errorf("%s: %+v, want %+v", w.Name, g, w)
			continue
		}
		a, err1 := got.Raw(w.Name)
		b, err2 := want.Raw(w.Name)
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: bytes differ (%v, %v)", w.Name, err1, err2)
		}
	}
}

// treeHash hashes every file under dir, to show an input is unchanged.
func treeHash(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			fmt.Fprintf(h, "%s %d\n", p, len(data))
			h.Write(data)
		}
		return nil
	})
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestWriteDirCopiesBitExact(t *testing.T) {
	for _, dir := range []string{"llama-st", "llama-st-sharded", "llama-pt-sharded", "neox"} {
		t.Run(dir, func(t *testing.T) {
			in := filepath.Join("testdata", dir)
			before := treeHash(t, in)
			base := openT(t, in)
			out := filepath.Join(t.TempDir(), "out")
			var calls int
			var last [2]int64
			err := WriteDir(context.Background(), out, base, WriteOptions{
				Progress: func(done, total int64) { calls++; last = [2]int64{done, total} },
			})
			if err != nil {
				t.Fatal(err)
			}
			got := openT(t, out)
			if got.Format() != Safetensors || len(got.Files()) != 1 {
				t.Errorf("output: %s in %d files", got.Format(), len(got.Files()))
			}
			sameTensors(t, got, base)
			if len(got.Tensors()) != len(base.Tensors()) {
				t.Errorf("%d tensors, base has %d", len(got.Tensors()), len(base.Tensors()))
			}
			wantCfg, _ := base.Config().Marshal()
			gotCfg, _ := os.ReadFile(filepath.Join(out, ConfigName))
			if !bytes.Equal(gotCfg, wantCfg) {
				t.Errorf("config.json changed:\n%s\nwant\n%s", gotCfg, wantCfg)
			}
			if calls == 0 || last[0] != last[1] {
				t.Errorf("progress: %d calls, last %v", calls, last)
			}
			st, err := safetensors.Open(got.Files()[0])
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if st.Metadata()["format"] != "pt" {
				t.Errorf("metadata %v", st.Metadata())
			}
			if treeHash(t, in) != before {
				t.Error("the input directory changed")
			}
		})
	}
}

func TestWriteDirShards(t *testing.T) {
	base := openT(t, "testdata/llama-st")
	out := filepath.Join(t.TempDir(), "out")
	if err := WriteDir(context.Background(), out, base, WriteOptions{MaxShardSize: 100}); err != nil {
		t.Fatal(err)
	}
	got := openT(t, out)
	if len(got.Files()) < 3 {
		t.Fatalf("%d shards", len(got.Files()))
	}
	sameTensors(t, got, base)
	ix, err := safetensors.ReadIndex(filepath.Join(out, safetensors.IndexName))
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, tensor := range base.Tensors() {
		total += tensor.ByteSize()
	}
	if ix.Metadata["total_size"] != float64(total) || len(ix.WeightMap) != len(base.Tensors()) {
		t.Errorf("index metadata %v, %d entries", ix.Metadata, len(ix.WeightMap))
	}
	for i, f := range got.Files() {
		if want := safetensors.ShardName("model", ".safetensors", i, len(got.Files())); filepath.Base(f) != want {
			t.Errorf("shard %d is %s, want %s", i, filepath.Base(f), want)
		}
	}
}

// TestWriteDirReplace writes a new vocabulary's embedding (a table) and head
// (a row callback) in BF16, with values BF16 holds exactly.
func TestWriteDirReplace(t *testing.T) {
	base := openT(t, "testdata/llama-pt-sharded")
	const rows, cols = 1000, 4
	value := func(i, j int) float32 { return float32((i*cols+j)%97-48) / 4 }
	table := blas32.General{Rows: rows, Cols: cols, Stride: cols + 1, Data: make([]float32, rows*(cols+1))}
	for i := range rows {
		for j := range cols {
			table.Data[i*table.Stride+j] = value(i, j)
		}
	}
	var fills [][2]int
	fill := func(start, end int, dst []float32) error {
		fills = append(fills, [2]int{start, end})
		for i := start; i < end; i++ {
			for j := range cols {
				dst[(i-start)*cols+j] = -value(i, j)
			}
		}
		return nil
	}
	cfg := base.Config().Clone()
	cfg.SetVocabSize(rows)
	cfg.Set("eos_token_id", 999)
	out := filepath.Join(t.TempDir(), "out")
	err := WriteDir(context.Background(), out, base, WriteOptions{
		Config: cfg,
		Dtype:  safetensors.BF16,
		Replace: map[string]Replacement{
			"model.embed_tokens.weight": {Rows: rows, Cols: cols, Table: &table},
			"lm_head.weight":            {Rows: rows, Cols: cols, Fill: fill},
		},
		Files: map[string][]byte{"tokenizer.json": []byte(`{"model":{}}`), "transplant.json": []byte(`{}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := openT(t, out)
	sameTensors(t, got, base, "model.embed_tokens.weight", "lm_head.weight")
	for name, sign := range map[string]float32{"model.embed_tokens.weight": 1, "lm_head.weight": -1} {
		vals, shape, err := got.Float32(name)
		tensor, _ := got.Tensor(name)
		if err != nil || tensor.Dtype != safetensors.BF16 || !slices.Equal(shape, []int{rows, cols}) {
			t.Fatalf("%s: %s%v, %v", name, tensor.Dtype, shape, err)
		}
		for k, v := range vals {
			if v != sign*value(k/cols, k%cols) {
				t.Fatalf("%s[%d] = %v, want %v", name, k, v, sign*value(k/cols, k%cols))
			}
		}
	}
	if fills[0][0] != 0 || fills[len(fills)-1][1] != rows {
		t.Errorf("Fill calls %v", fills)
	}
	if got.Config().VocabSize() != rows || !slices.Equal(got.Config().TokenIDs("eos_token_id"), []int{999}) ||
		!slices.Equal(got.Config().Keys(), base.Config().Keys()) {
		t.Errorf("config keys %v", got.Config().Keys())
	}
	if data, _ := os.ReadFile(filepath.Join(out, "tokenizer.json")); string(data) != `{"model":{}}` {
		t.Errorf("tokenizer.json = %q", data)
	}
	if order := fileOrder(t, filepath.Join(out, "model.safetensors")); !slices.Equal(order[len(order)-2:], []string{"model.embed_tokens.weight", "lm_head.weight"}) {
		t.Errorf("tensors in file order %v: want the replaced ones last, as the base orders them", order)
	}
}

// fileOrder lists the tensors of a safetensors file in the order of their
// bytes in it.
func fileOrder(t *testing.T, path string) []string {
	t.Helper()
	f, err := safetensors.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	infos := f.Tensors()
	slices.SortFunc(infos, func(a, b safetensors.TensorInfo) int { return int(a.Begin - b.Begin) })
	names := make([]string, len(infos))
	for i, ti := range infos {
		names[i] = ti.Name
	}
	return names
}

// TestWriteDirFillRaw checks that a replacement's encoded rows are written
// as given when the tensor keeps their dtype, and its float32 rows
// otherwise.
func TestWriteDirFillRaw(t *testing.T) {
	base := openT(t, "testdata/llama-st")
	head, _ := base.Tensor("lm_head.weight")
	rows, cols := head.Shape[0], head.Shape[1]
	size := head.Dtype.Size()
	encoded := func(start, end int, dst []byte) error {
		for k := range dst {
			dst[k] = byte(start*cols*size + k)
		}
		return nil
	}
	for _, tc := range []struct {
		name    string
		dtype   safetensors.Dtype
		encoded bool
	}{
		{"base dtype", "", true},
		{"same dtype named", head.Dtype, true},
		{"other dtype", safetensors.F32, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := map[string]int{}
			out := filepath.Join(t.TempDir(), "out")
			err := WriteDir(context.Background(), out, base, WriteOptions{
				Dtype: tc.dtype,
				Replace: map[string]Replacement{"lm_head.weight": {
					Rows: rows, Cols: cols, RawDtype: head.Dtype,
					Fill: func(start, end int, dst []float32) error {
						calls["Fill"]++
						for k := range dst {
							dst[k] = 0.5
						}
						return nil
					},
					FillRaw: func(start, end int, dst []byte) error { calls["FillRaw"]++; return encoded(start, end, dst) },
				}},
			})
			if err != nil {
				t.Fatal(err)
			}
			got := openT(t, out)
			raw, err := got.Raw("lm_head.weight")
			if err != nil {
				t.Fatal(err)
			}
			if tc.encoded {
				want := make([]byte, rows*cols*size)
				encoded(0, rows, want)
				if calls["Fill"] != 0 || !bytes.Equal(raw, want) {
					t.Errorf("calls %v; head bytes differ from FillRaw's", calls)
				}
				return
			}
			vals, _, err := got.Float32("lm_head.weight")
			if calls["FillRaw"] != 0 || err != nil || slices.ContainsFunc(vals, func(v float32) bool { return v != 0.5 }) {
				t.Errorf("calls %v; head %v…, %v", calls, vals[:min(4, len(vals))], err)
			}
		})
	}
}

func TestWriteDirTied(t *testing.T) {
	t.Run("stored head dropped", func(t *testing.T) {
		// A tied checkpoint that also stores lm_head (as pytorch files of
		// tied models do): the output keeps only the embedding.
		dir := t.TempDir()
		copyFile(t, "testdata/llama-st/model.safetensors", filepath.Join(dir, "model.safetensors"))
		os.WriteFile(filepath.Join(dir, ConfigName), []byte(`{"architectures":["LlamaForCausalLM"],"tie_word_embeddings":true}`), 0o644)
		base := openT(t, dir)
		out := filepath.Join(t.TempDir(), "out")
		if err := WriteDir(context.Background(), out, base, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		got := openT(t, out)
		if _, ok := got.Tensor("lm_head.weight"); ok || !got.Tied() {
			t.Error("lm_head written for a tied model")
		}
		sameTensors(t, got, base, "lm_head.weight")
	})
	t.Run("headless untied config", func(t *testing.T) {
		base := openT(t, "testdata/gpt2-tied")
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, ConfigName), []byte(`{"architectures":["GPT2LMHeadModel"],"tie_word_embeddings":false,"vocab_size":11}`), 0o644)
		out := filepath.Join(dir, "out")
		cfg, _ := ReadConfig(filepath.Join(dir, ConfigName))
		base.config = cfg
		base.resolve()
		if !base.Tied() {
			t.Fatal("a checkpoint without a head reads as tied")
		}
		if err := WriteDir(context.Background(), out, base, WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		got := openT(t, out)
		if tie, ok := got.Config().TieWordEmbeddings(); !ok || !tie {
			t.Error("output config does not say tied, so transformers would make a random head")
		}
	})
}

// failingFS makes the n-th byte written across all output files fail with
// ENOSPC, as a full disk does, whether written in order or at an offset,
// from any goroutine.
type failingFS struct {
	mu   sync.Mutex
	left int
}

// take grants up to n bytes of what is left.
func (fsys *failingFS) take(n int) int {
	fsys.mu.Lock()
	defer fsys.mu.Unlock()
	k := min(n, fsys.left)
	fsys.left -= k
	return k
}

type failingFile struct {
	*os.File
	fs *failingFS
}

func (f failingFile) Write(p []byte) (int, error) {
	k := f.fs.take(len(p))
	n, err := f.File.Write(p[:k])
	if err == nil && k < len(p) {
		err = &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return n, err
}

func (f failingFile) WriteAt(p []byte, off int64) (int, error) {
	k := f.fs.take(len(p))
	n, err := f.File.WriteAt(p[:k], off)
	if err == nil && k < len(p) {
		err = &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	return n, err
}

func (fsys *failingFS) create(p string) (outputFile, error) {
	f, err := os.Create(p)
	return failingFile{f, fsys}, err
}

// entries lists a directory, to check nothing was left behind.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestWriteDirDiskFull(t *testing.T) {
	base := openT(t, "testdata/llama-st")
	// Find how much a complete write takes, then fail at points spread
	// over it: in a header, inside tensors, in the index and config.
	probe := &failingFS{left: 1 << 30}
	parent := t.TempDir()
	opts := WriteOptions{MaxShardSize: 200, Files: map[string][]byte{"tokenizer.json": []byte("{}")}}
	opts.create = probe.create
	if err := WriteDir(context.Background(), filepath.Join(parent, "probe"), base, opts); err != nil {
		t.Fatal(err)
	}
	total := 1<<30 - probe.left
	for _, at := range []int{0, 7, 50, total / 3, total / 2, total - 300, total - 3, total - 1} {
		out := filepath.Join(parent, fmt.Sprintf("out%d", at))
		opts.create = (&failingFS{left: at}).create
		err := WriteDir(context.Background(), out, base, opts)
		if !errors.Is(err, syscall.ENOSPC) {
			t.Errorf("fail at byte %d of %d: err = %v", at, total, err)
		}
	}
	if got := entries(t, parent); !slices.Equal(got, []string{"probe"}) {
		t.Errorf("left behind: %v", got)
	}
}

func TestWriteDirCancel(t *testing.T) {
	base := openT(t, "testdata/llama-st")
	parent := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	err := WriteDir(ctx, filepath.Join(parent, "out"), base, WriteOptions{
		MaxShardSize: 100,
		Progress:     func(done, total int64) { cancel() },
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
	if got := entries(t, parent); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}

func TestWriteDirRefuses(t *testing.T) {
	in := t.TempDir()
	for _, f := range []string{"config.json", "model.safetensors"} {
		copyFile(t, filepath.Join("testdata/llama-st", f), filepath.Join(in, f))
	}
	base := openT(t, in)
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(in, link)
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "x"), nil, 0o644)
	table := blas32.General{Rows: 2, Cols: 3, Stride: 3, Data: make([]float32, 6)}
	tests := []struct {
		name string
		out  string
		opts WriteOptions
		want error
	}{
		{"same dir", in, WriteOptions{}, ErrOutputInsideInput},
		{"inside", filepath.Join(in, "sub", "out"), WriteOptions{}, ErrOutputInsideInput},
		{"through symlink", filepath.Join(link, "out"), WriteOptions{}, ErrOutputInsideInput},
		{"not empty", full, WriteOptions{}, ErrOutputExists},
		{"wrong columns", filepath.Join(t.TempDir(), "o"), WriteOptions{Replace: map[string]Replacement{
			"lm_head.weight": {Rows: 2, Cols: 3, Table: &table}}}, ErrShape},
		{"no source", filepath.Join(t.TempDir(), "o"), WriteOptions{Replace: map[string]Replacement{
			"lm_head.weight": {Rows: 2, Cols: 4}}}, ErrShape},
		{"integer dtype", filepath.Join(t.TempDir(), "o"), WriteOptions{Dtype: safetensors.I32, Replace: map[string]Replacement{
			"x": {Rows: 2, Cols: 3, Table: &table}}}, safetensors.ErrDtype},
		{"bad file name", filepath.Join(t.TempDir(), "o"), WriteOptions{Files: map[string][]byte{"../x": nil}}, ErrFormat},
		{"clashing file name", filepath.Join(t.TempDir(), "o"), WriteOptions{Files: map[string][]byte{"config.json": nil}}, ErrFormat},
	}
	before := treeHash(t, in)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := WriteDir(context.Background(), tc.out, base, tc.opts)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
			if strings.Contains(tc.name, "file name") || tc.want == ErrShape {
				if _, err := os.Stat(tc.out); err == nil {
					t.Error("output created")
				}
			}
		})
	}
	if treeHash(t, in) != before || !slices.Equal(entries(t, in), []string{"config.json", "model.safetensors"}) {
		t.Error("the input directory changed")
	}
}

// A head bias is replaced by a vector: a 1-D tensor of the new length.
func TestWriteDirReplaceVector(t *testing.T) {
	base := openT(t, "testdata/llama-pt-sharded")
	bias := blas32.General{Rows: 5, Cols: 1, Stride: 1, Data: []float32{1, -2, 3.5, 0, 8}}
	out := filepath.Join(t.TempDir(), "out")
	err := WriteDir(context.Background(), out, base, WriteOptions{
		Dtype:   safetensors.F32,
		Replace: map[string]Replacement{"lm_head.bias": {Rows: 5, Cols: 1, Vector: true, Table: &bias}},
	})
	if err != nil {
		t.Fatal(err)
	}
	vals, shape, err := openT(t, out).Float32("lm_head.bias")
	if err != nil || !slices.Equal(shape, []int{5}) || !slices.Equal(vals, bias.Data) {
		t.Errorf("bias %v %v, %v", vals, shape, err)
	}
	err = WriteDir(context.Background(), filepath.Join(t.TempDir(), "bad"), base, WriteOptions{
		Replace: map[string]Replacement{"model.embed_tokens.weight": {Rows: 5, Cols: 1, Vector: true, Table: &bias}},
	})
	if !errors.Is(err, ErrShape) {
		t.Errorf("vector over a 2-D tensor: %v", err)
	}
}

// TestWriteDirChecksumsWhatItWrote: with new tables and copied tensors
// written at once, each at its offset, the checksums handed to the
// manifest are those of the files as they end up on disk: in several
// shards, and in one shard whose first tensor, built slowly, is finished
// after the copies behind it (the checksum must wait for it). Without
// Checksums the manifest gets the sizes alone.
func TestWriteDirChecksumsWhatItWrote(t *testing.T) {
	for _, tc := range []struct {
		maxShard   int64
		minShards  int
		rows, cols int
	}{
		{100, 3, 300, 4},
		{0, 1, 300, 4},
		// Tables of several blocks: each is built while the one before is
		// written, and checksummed before the table is finished.
		{0, 1, 3*blockBytes/(4*4) + 7, 4},
	} {
		for _, sums := range []bool{true, false} {
			t.Run(fmt.Sprint(tc.maxShard, "/", tc.rows, "/", sums), func(t *testing.T) {
				checkChecksums(t, sums, tc.maxShard, tc.minShards, tc.rows, tc.cols)
			})
		}
	}
}

func checkChecksums(t *testing.T, sums bool, maxShard int64, minShards, rows, cols int) {
	base := openT(t, "testdata/llama-st")
	fill := func(start, end int, dst []float32) error {
		if start == 0 {
			time.Sleep(50 * time.Millisecond) // let the copies finish first
		}
		for k := range dst {
			dst[k] = float32((start*cols+k)%64) / 8 // exact in any float dtype
		}
		return nil
	}
	var written []WrittenFile
	out := filepath.Join(t.TempDir(), "out")
	err := WriteDir(context.Background(), out, base, WriteOptions{
		MaxShardSize: maxShard,
		Replace: map[string]Replacement{
			"model.embed_tokens.weight": {Rows: rows, Cols: cols, Fill: fill},
			"lm_head.weight":            {Rows: rows, Cols: cols, Fill: fill},
		},
		Manifest: func(w []WrittenFile) (string, []byte, error) {
			written = w
			return "manifest.json", []byte("{}"), nil
		},
		Checksums: sums,
	})
	if err != nil {
		t.Fatal(err)
	}
	shards := 0
	for _, f := range written {
		data, err := os.ReadFile(filepath.Join(out, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		want := ""
		if sum := sha256.Sum256(data); sums {
			want = hex.EncodeToString(sum[:])
		}
		if f.SHA256 != want || int64(len(data)) != f.Bytes {
			t.Errorf("%s: recorded %d bytes %q, file has %d bytes, want checksum %q", f.Name, f.Bytes, f.SHA256, len(data), want)
		}
		if strings.HasSuffix(f.Name, ".safetensors") {
			shards++
		}
	}
	if shards < minShards {
		t.Errorf("%d shards written, want at least %d", shards, minShards)
	}
	got := openT(t, out)
	sameTensors(t, got, base, "model.embed_tokens.weight", "lm_head.weight")
	vals, _, err := got.Float32("lm_head.weight")
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range vals {
		if want := float32(k%64) / 8; v != want {
			t.Fatalf("lm_head[%d] = %v, want %v", k, v, want)
		}
	}
}

// Kept rows come from the base as it stores them, whatever FillRaw
// writes there, in blocks of any size, from a safetensors file (copied
// by the kernel) or a PyTorch one (read and written); a tensor written in
// another dtype takes every row from Fill.
func TestWriteDirKeptRows(t *testing.T) {
	const garbage = 0xEE
	for _, dir := range []string{"testdata/llama-st", "testdata/llama-pt-sharded"} {
		base := openT(t, dir)
		head, _ := base.Tensor("lm_head.weight")
		baseRows, cols := head.Shape[0], head.Shape[1]
		rowBytes := cols * head.Dtype.Size()
		rows := baseRows + 5
		kept := []RowRun{{Row: 0, From: 3, N: 2}, {Row: 4, From: 0, N: 4}, {Row: 9, From: baseRows - 3, N: 3}, {Row: rows - 1, From: 1, N: 1}}
		isKept := make([]int, rows) // base row + 1, 0 when built
		for _, k := range kept {
			for i := range k.N {
				isKept[k.Row+i] = k.From + i + 1
			}
		}
		fillRaw := func(start, end int, dst []byte) error {
			for r := start; r < end; r++ {
				for k := range rowBytes {
					v := byte(r*7 + k)
					if isKept[r] > 0 {
						v = garbage
					}
					dst[(r-start)*rowBytes+k] = v
				}
			}
			return nil
		}
		baseRaw, err := base.Raw("lm_head.weight")
		if err != nil {
			t.Fatal(err)
		}
		want := make([]byte, rows*rowBytes)
		fillRaw(0, rows, want)
		for r, from := range isKept {
			if from > 0 {
				copy(want[r*rowBytes:(r+1)*rowBytes], baseRaw[(from-1)*rowBytes:from*rowBytes])
			}
		}
		other := safetensors.F32
		if head.Dtype == other {
			other = safetensors.BF16
		}
		for _, tc := range []struct {
			name  string
			block int // rows per block
			dtype safetensors.Dtype
		}{
			{"one block", rows, ""},
			{"blocks of one row", 1, ""},
			{"blocks of three rows", 3, ""},
			{"blocks of five rows", 5, ""},
			{"other dtype", 3, other},
			{"read and written", 3, ""},
		} {
			t.Run(filepath.Base(dir)+"/"+tc.name, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "out")
				err := WriteDir(context.Background(), out, base, WriteOptions{
					Dtype:      tc.dtype,
					blockBytes: tc.block * 4 * cols,
					readKept:   tc.name == "read and written",
					Replace: map[string]Replacement{"lm_head.weight": {
						Rows: rows, Cols: cols, RawDtype: head.Dtype, FillRaw: fillRaw,
						Fill: func(start, end int, dst []float32) error {
							for k := range dst {
								dst[k] = 0.5
							}
							return nil
						},
						Kept: kept, KeptFrom: "lm_head.weight",
					}},
				})
				if err != nil {
					t.Fatal(err)
				}
				got := openT(t, out)
				if tc.dtype != "" {
					vals, _, err := got.Float32("lm_head.weight")
					if err != nil || slices.ContainsFunc(vals, func(v float32) bool { return v != 0.5 }) {
						t.Errorf("kept rows taken from the base when Fill writes the tensor (%v)", err)
					}
					return
				}
				raw, err := got.Raw("lm_head.weight")
				if err != nil {
					t.Fatal(err)
				}
				for r := range rows {
					if !bytes.Equal(raw[r*rowBytes:(r+1)*rowBytes], want[r*rowBytes:(r+1)*rowBytes]) {
						t.Errorf("row %d (kept from base row %d): %x…, want %x…", r, isKept[r]-1, raw[r*rowBytes:r*rowBytes+4], want[r*rowBytes:r*rowBytes+4])
					}
				}
			})
		}
	}
}

func TestWriteDirKeptRowsRefused(t *testing.T) {
	base := openT(t, "testdata/llama-st")
	head, _ := base.Tensor("lm_head.weight")
	rows, cols := head.Shape[0], head.Shape[1]
	fill := func(int, int, []byte) error { return nil }
	for _, tc := range []struct {
		name string
		r    Replacement
	}{
		{"missing tensor", Replacement{KeptFrom: "nope", Kept: []RowRun{{0, 0, 1}}}},
		{"other dtype", Replacement{KeptFrom: "lm_head.weight", RawDtype: safetensors.F16, Kept: []RowRun{{0, 0, 1}}}},
		{"no FillRaw", Replacement{KeptFrom: "lm_head.weight", Kept: []RowRun{{0, 0, 1}}}},
		{"out of order", Replacement{KeptFrom: "lm_head.weight", Kept: []RowRun{{2, 0, 1}, {1, 0, 1}}}},
		{"overlapping", Replacement{KeptFrom: "lm_head.weight", Kept: []RowRun{{0, 0, 2}, {1, 0, 1}}}},
		{"past the table", Replacement{KeptFrom: "lm_head.weight", Kept: []RowRun{{rows - 1, 0, 2}}}},
		{"past the base", Replacement{KeptFrom: "lm_head.weight", Kept: []RowRun{{0, rows - 1, 2}}}},
		{"empty run", Replacement{KeptFrom: "lm_head.weight", Kept: []RowRun{{0, 0, 0}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.r
			r.Rows, r.Cols = rows, cols
			r.Fill = func(int, int, []float32) error { return nil }
			if tc.name != "no FillRaw" {
				r.FillRaw = fill
			}
			if r.RawDtype == "" {
				r.RawDtype = head.Dtype
			}
			out := filepath.Join(t.TempDir(), "out")
			err := WriteDir(context.Background(), out, base, WriteOptions{Replace: map[string]Replacement{"lm_head.weight": r}})
			if !errors.Is(err, ErrShape) {
				t.Fatalf("err = %v, want ErrShape", err)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("output created")
			}
		})
	}
}
