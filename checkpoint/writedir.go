package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/internal/safefile"
	"github.com/transplant-dev/transplant/safetensors"
)

// DefaultMaxShardSize is save_pretrained's default max_shard_size, "5GB".
const DefaultMaxShardSize = 5_000_000_000

// Errors WriteDir returns for output paths it refuses.
var (
	ErrOutputInsideInput = errors.New("output directory is, or is inside, the input model directory")
	ErrOutputExists      = errors.New("output directory exists and is not empty")
)

// Replacement supplies the values of a tensor WriteDir writes anew, such as
// an embedding or head for a new vocabulary. It is a Rows×Cols table given
// either whole (Table) or row block by row block (Fill), so a large table
// need not be in memory. A Vector replacement (Cols == 1) is written as a
// 1-D tensor of Rows values, such as a head's bias.
type Replacement struct {
	Rows, Cols int
	Vector     bool
	Table      *blas32.General
	// Fill writes rows [start, end) into dst, row-major, len(dst) ==
	// (end-start)*Cols. It is called with increasing, adjacent ranges, on
	// a goroutine of WriteDir's own while other tensors are being copied.
	Fill func(start, end int, dst []float32) error
	// FillRaw, when set, takes Fill's place whenever the tensor is written
	// in RawDtype: it writes rows [start, end) into dst already encoded
	// in that dtype, so that rows kept as the base stores them are moved,
	// not widened and narrowed again. It is called as Fill is.
	FillRaw  func(start, end int, dst []byte) error
	RawDtype safetensors.Dtype
	// Kept lists runs of rows, ascending and apart, that the table takes
	// unchanged from the base's 2-D tensor KeptFrom, which is as wide and
	// stored in RawDtype. Whenever FillRaw writes the tensor, WriteDir
	// reads these rows from the base file itself into each block FillRaw
	// filled, over what it put there, so FillRaw need not write them and
	// they are never widened and narrowed again.
	Kept     []RowRun
	KeptFrom string
}

// A RowRun is N rows of a replacement, from row Row on, that are the
// base tensor's rows from From on.
type RowRun struct{ Row, From, N int }

// WriteOptions says what WriteDir writes besides the base model's tensors.
type WriteOptions struct {
	// Config is written as config.json; nil writes the base model's.
	Config *Config
	// Replace gives new values for the named tensors; a name the base
	// model lacks adds a tensor.
	Replace map[string]Replacement
	// Dtype is the dtype replaced tensors are written in (F32, F16 or
	// BF16, rounding to nearest even); "" keeps the base tensor's dtype.
	Dtype safetensors.Dtype
	// Files are extra files to place in the directory by name, such as
	// tokenizer.json or generation_config.json.
	Files map[string][]byte
	// MaxShardSize splits the weights into model-0000i-of-0000n.safetensors
	// files of at most this many bytes of tensor data, listed in
	// model.safetensors.index.json; 0 means DefaultMaxShardSize.
	MaxShardSize int64
	// Progress, when set, is called after each tensor with the bytes of
	// tensor data written so far and in all. Calls come from WriteDir's
	// writing goroutines one at a time, and each holds up the others: keep
	// it short.
	Progress func(done, total int64)
	// Manifest, when set, is called once every other file is written, with
	// their sizes (and checksums), and returns one last file to write, such
	// as a report that lists them.
	Manifest func(written []WrittenFile) (name string, data []byte, err error)
	// Checksums records the SHA-256 of every file written in WrittenFile.
	// It is computed behind the writing, from the page cache, but it is
	// one pass of SHA-256 over the whole output (about 1 GB/s per core):
	// on two cores it costs more than everything else a transplant does
	// beyond copying the checkpoint.
	Checksums bool

	// create opens output files; tests replace it to inject failures.
	create func(path string) (outputFile, error)
	// blockBytes, when set, replaces blockBytes: tests cut small tables
	// into several blocks with it.
	blockBytes int
	// readKept, in tests, reads kept rows and writes them as for a tensor
	// its file stores strided.
	readKept bool
}

// A WrittenFile is one file WriteDir wrote: its name in the directory,
// size and, with WriteOptions.Checksums, its SHA-256.
type WrittenFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256,omitempty"`
}

// WriteDir writes a model directory at out that transformers loads: the
// base model's tensors as safetensors, each one copied bit for bit unless
// opts replaces it, with config.json and the extra files. Everything is
// written into a temporary sibling directory that is renamed to out only
// when complete; on any error, cancellation included, it is removed and out
// is left as it was. A tied base model is written without its head tensor.
// out must not exist (or be an empty directory) and must not be inside the
// base model's directory.
func WriteDir(ctx context.Context, out string, base *Model, opts WriteOptions) (err error) {
	if err := checkOutput(out, base.Dir()); err != nil {
		return err
	}
	if err := checkFiles(opts.Files); err != nil {
		return err
	}
	plan, err := planTensors(base, opts)
	if err != nil {
		return err
	}
	// Like mkdir -p for the directory out goes in; out itself appears
	// only when complete.
	if err := os.MkdirAll(filepath.Dir(filepath.Clean(out)), 0o777); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	tmp, err := safefile.TempDirBeside(out)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if opts.create == nil {
		opts.create = func(p string) (outputFile, error) { return os.Create(p) }
	}
	dw := &dirWriter{ctx: ctx, dir: tmp, base: base, opts: opts}
	if err := dw.writeWeights(plan); err != nil {
		return err
	}
	if err := dw.writeFiles(); err != nil {
		return err
	}
	if err := dw.writeManifest(); err != nil {
		return err
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// checkOutput refuses an output path that is the input directory or inside
// it, or that already holds files.
func checkOutput(out, in string) error {
	inside, err := safefile.Within(out, in)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	if inside {
		return fmt.Errorf("checkpoint: %s: %w %s", out, ErrOutputInsideInput, in)
	}
	entries, err := os.ReadDir(out)
	switch {
	case err == nil && len(entries) > 0:
		return fmt.Errorf("checkpoint: %s: %w", out, ErrOutputExists)
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}
