package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/safetensors"
)

// Format is the on-disk format of a model's weights.
type Format string

// The weight formats Open reads.
const (
	Safetensors Format = "safetensors"
	PyTorch     Format = "pytorch"
)

// Tensor describes one tensor of a model.
type Tensor struct {
	Name  string
	Dtype safetensors.Dtype
	Shape []int
	File  string // base name of the weights file that holds it
}

// NumElements returns the product of the shape.
func (t Tensor) NumElements() int64 {
	return safetensors.TensorInfo{Dtype: t.Dtype, Shape: t.Shape}.NumElements()
}

// ByteSize returns the size of the tensor's data in bytes.
func (t Tensor) ByteSize() int64 { return t.NumElements() * int64(t.Dtype.Size()) }

// Model is an open Hugging Face model: its config, architecture and a
// uniform, lazy view of its tensors across files and formats. Its methods
// are safe for concurrent use.
type Model struct {
	path    string
	dir     string
	format  Format
	config  *Config // nil when there is no config.json
	arch    Architecture
	archOK  bool
	files   []*weightFile
	paths   []string // weight file paths, parallel to files
	tensors []Tensor
	where   map[string]int // tensor name → index into files
	index   map[string]int // tensor name → index into tensors
	embed   string         // resolved embedding tensor name, "" if none
	head    string         // resolved head tensor name, "" if tied or absent
	tied    bool
	// headless: tied only because the checkpoint stores no head, while
	// the config (or the architecture's default) says untied.
	headless bool
}

// Path returns the path Open was given.
func (m *Model) Path() string { return m.path }

// Dir returns the model directory (the file's directory for a single file).
func (m *Model) Dir() string { return m.dir }

// Format returns the format of the weights.
func (m *Model) Format() Format { return m.format }

// Files returns the paths of the weights files, in load order.
func (m *Model) Files() []string { return slices.Clone(m.paths) }

// Config returns the parsed config.json, or nil when there is none. The
// Config is shared: Clone it before changing it.
func (m *Model) Config() *Config { return m.config }

// Architecture returns the model's entry in the architecture table, and
// false when the model is of no known architecture.
func (m *Model) Architecture() (Architecture, bool) { return m.arch, m.archOK }

// Tensors returns every tensor, in file order.
func (m *Model) Tensors() []Tensor { return slices.Clone(m.tensors) }

// Tensor returns the named tensor.
func (m *Model) Tensor(name string) (Tensor, bool) {
	i, ok := m.index[name]
	if !ok {
		return Tensor{}, false
	}
	return m.tensors[i], true
}

// Embedding returns the input embedding tensor, and false when the
// architecture is unknown or the tensor is missing.
func (m *Model) Embedding() (Tensor, bool) { return m.Tensor(m.embed) }

// Head returns the output head tensor, and false when the model has no
// separate head: it is tied to the embedding (see Tied), or unknown.
func (m *Model) Head() (Tensor, bool) { return m.Tensor(m.head) }

// Tied reports whether the output head shares the input embedding's
// weights: tie_word_embeddings says so (or the architecture's default when
// config.json is silent), or the checkpoint stores no head tensor.
func (m *Model) Tied() bool { return m.tied }

// NumParameters returns the number of elements over all tensors.
func (m *Model) NumParameters() int64 {
	var n int64
	for _, t := range m.tensors {
		n += t.NumElements()
	}
	return n
}

// Close closes every weights file.
func (m *Model) Close() error {
	var errs []error
	for _, f := range m.files {
		errs = append(errs, f.close())
	}
	return errors.Join(errs...)
}

func (m *Model) lookup(name string) (Tensor, *weightFile, error) {
	i, ok := m.index[name]
	if !ok {
		return Tensor{}, nil, fmt.Errorf("checkpoint: %s: tensor %q: %w", m.path, name, ErrNotFound)
	}
	return m.tensors[i], m.files[m.where[name]], nil
}

// Float32 returns the named tensor widened to float32, row-major, and its
// shape.
func (m *Model) Float32(name string) ([]float32, []int, error) {
	t, f, err := m.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	if !t.Dtype.IsFloat() {
		return nil, nil, fmt.Errorf("checkpoint: %s: tensor %q: %w: cannot widen %s to float32",
			m.path, name, safetensors.ErrDtype, t.Dtype)
	}
	dst := make([]float32, t.NumElements())
	if err := f.readFloat32(name, dst, 0); err != nil {
		return nil, nil, err
	}
	return dst, slices.Clone(t.Shape), nil
}

// ReadRows fills dst with rows [start, end) of the named 2-D tensor, widened
// to float32; len(dst) must be (end-start) times the number of columns. It
// lets a caller widen a large table piece by piece, or straight into a
// buffer it owns.
func (m *Model) ReadRows(name string, start, end int, dst []float32) error {
	f, first, err := m.rowsAt(name, start, end, len(dst), false)
	if err != nil {
		return err
	}
	return f.readFloat32(name, dst, first)
}

// ReadRawRows fills dst with rows [start, end) of a 2-D tensor as the
// checkpoint stores them, in the tensor's own dtype (little-endian).
func (m *Model) ReadRawRows(name string, start, end int, dst []byte) error {
	f, first, err := m.rowsAt(name, start, end, len(dst), true)
	if err != nil {
		return err
	}
	return f.readRaw(name, dst, first)
}

// rowsAt checks a read of rows [start, end) of the 2-D tensor name into n
// values (bytes, when raw) and returns the tensor's file and the read's
// first element.
func (m *Model) rowsAt(name string, start, end, n int, raw bool) (*weightFile, int64, error) {
	t, f, err := m.lookup(name)
	if err != nil {
		return nil, 0, err
	}
	if len(t.Shape) != 2 {
		return nil, 0, fmt.Errorf("checkpoint: %s: tensor %q: %w: rows of a %d-D tensor", m.path, name, ErrShape, len(t.Shape))
	}
	rows, cols := t.Shape[0], t.Shape[1]
	want, unit := (end-start)*cols, "values"
	if raw {
		want, unit = want*t.Dtype.Size(), "bytes"
	}
	if start < 0 || end < start || end > rows || n != want {
		return nil, 0, fmt.Errorf("checkpoint: %s: tensor %q: %w: rows [%d, %d) into %d %s of a %dx%d %s tensor",
			m.path, name, ErrShape, start, end, n, unit, rows, cols, t.Dtype)
	}
	return f, int64(start) * int64(cols), nil
}

// Table returns a 2-D tensor widened to float32 as a gonum matrix.
func (m *Model) Table(name string) (blas32.General, error) {
	t, ok := m.Tensor(name)
	if !ok || len(t.Shape) != 2 {
		_, _, err := m.lookup(name)
		if err == nil {
			err = fmt.Errorf("checkpoint: %s: tensor %q: %w: %v is not 2-D", m.path, name, ErrShape, t.Shape)
		}
		return blas32.General{}, err
	}
	g := blas32.General{Rows: t.Shape[0], Cols: t.Shape[1], Stride: t.Shape[1]}
	g.Data = make([]float32, g.Rows*g.Cols)
	return g, m.ReadRows(name, 0, g.Rows, g.Data)
}

// Reader returns the named tensor's bytes in its own dtype, contiguous and
// row-major (little-endian), as a safetensors file would hold them.
func (m *Model) Reader(name string) (io.Reader, error) {
	_, f, err := m.lookup(name)
	if err != nil {
		return nil, err
	}
	return f.reader(name)
}

// section returns the named tensor's bytes as a section of its file, when
// the file stores them so.
func (m *Model) section(name string) (*io.SectionReader, bool) {
	_, f, err := m.lookup(name)
	if err != nil || !f.stored(name) {
		return nil, false
	}
	r, err := f.reader(name)
	sr, ok := r.(*io.SectionReader)
	return sr, err == nil && ok
}

// Raw returns a copy of the named tensor's bytes (see Reader).
func (m *Model) Raw(name string) ([]byte, error) {
	t, f, err := m.lookup(name)
	if err != nil {
		return nil, err
	}
	r, err := f.reader(name)
	if err != nil {
		return nil, err
	}
	buf := make([]byte, t.ByteSize())
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("checkpoint: %s: tensor %q: %w", m.path, name, err)
	}
	return buf, nil
}

// add registers the tensors of an opened weights file.
func (m *Model) add(path string, f *weightFile) error {
	m.files = append(m.files, f)
	m.paths = append(m.paths, path)
	for _, t := range f.tensors {
		if j, dup := m.where[t.Name]; dup {
			return fmt.Errorf("checkpoint: %s: tensor %q: %w: in both %s and %s",
				m.path, t.Name, ErrFormat, filepath.Base(m.paths[j]), filepath.Base(path))
		}
		m.where[t.Name] = len(m.files) - 1
		m.index[t.Name] = len(m.tensors)
		m.tensors = append(m.tensors, t)
	}
	return nil
}

// resolve finds the architecture, the embedding and head tensors, and
// whether they are tied.
func (m *Model) resolve() {
	has := func(name string) bool { _, ok := m.index[name]; return ok }
	if m.config != nil {
		m.arch, m.archOK = LookupArchitecture(m.config)
	}
	if !m.archOK {
		m.arch, m.archOK = guessArchitecture(has)
	}
	if !m.archOK {
		return
	}
	a := m.arch
	m.embed = a.Embedding
	if bare := strings.TrimPrefix(a.Embedding, a.Prefix); !has(a.Embedding) && has(bare) {
		m.embed = bare
	}
	m.tied = a.Tied(m.config)
	if !has(a.Head) && !m.tied {
		m.tied, m.headless = true, true
	}
	if !m.tied {
		m.head = a.Head
	}
}

func newModel(path, dir string, format Format) *Model {
	return &Model{path: path, dir: dir, format: format, where: map[string]int{}, index: map[string]int{}}
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
