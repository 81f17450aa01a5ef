package recipe

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/safetensors"
)

// ReadFile reads the recipe at path.
func ReadFile(path string) (*Recipe, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("recipe: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("recipe: %w", err)
	}
	r, err := Read(f, st.Size())
	if err != nil {
		return nil, fmt.Errorf("recipe: %s: %w", path, err)
	}
	return r, nil
}

// Read reads a recipe of size bytes from ra, checking every array against
// the metadata. Errors wrap ErrFormat.
func Read(ra io.ReaderAt, size int64) (*Recipe, error) {
	f, err := safetensors.NewReader(ra, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	d := decoder{f: f}
	raw, ok := f.Metadata()[metaKey]
	if !ok {
		return nil, fmt.Errorf("%w: no %q metadata: a safetensors file, but not a recipe", ErrFormat, metaKey)
	}
	r := &Recipe{TokenizerFiles: map[string][]byte{}}
	if err := json.Unmarshal([]byte(raw), &r.Meta); err != nil {
		return nil, fmt.Errorf("%w: metadata: %v", ErrFormat, err)
	}
	if r.Meta.Format != FormatVersion {
		return nil, fmt.Errorf("%w: format %d, this tool reads %d", ErrFormat, r.Meta.Format, FormatVersion)
	}
	kinds := d.bytes("alignment.kind", -1)
	r.Source = d.ints32("alignment.source", len(kinds))
	r.Kind = make([]align.Kind, len(kinds))
	for i, k := range kinds {
		r.Kind[i] = align.Kind(k)
	}
	for i, t := range r.Meta.Tables {
		r.Maps = append(r.Maps, d.readMap(t, fmt.Sprintf("tables.%d.", i)))
	}
	for _, t := range f.Tensors() {
		if name, ok := strings.CutPrefix(t.Name, "tokenizer."); ok {
			r.TokenizerFiles[name] = d.bytes(t.Name, -1)
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	return r, r.check()
}

// check verifies what the arrays mean together.
func (r *Recipe) check() error {
	rows := len(r.Kind)
	for id, k := range r.Kind {
		if !k.Known() {
			return fmt.Errorf("%w: row %d is of kind %d, which this version does not know", ErrFormat, id, k)
		}
		if k.Copied() && (r.Source[id] < 0 || r.Source[id] >= r.Meta.OldVocabulary.Size) {
			return fmt.Errorf("%w: row %d copies old id %d of %d", ErrFormat, id, r.Source[id], r.Meta.OldVocabulary.Size)
		}
	}
	for i, m := range r.Maps {
		for j, row := range m.Rows {
			if row.ID < 0 || row.ID >= rows {
				return fmt.Errorf("%w: table %d row %d builds new id %d of %d", ErrFormat, i, j, row.ID, rows)
			}
		}
		if err := m.Check(r.Meta.OldVocabulary.Size); err != nil {
			return fmt.Errorf("%w: table %d: %v", ErrFormat, i, err)
		}
	}
	if len(r.TokenizerFiles) == 0 {
		return fmt.Errorf("%w: no tokenizer files", ErrFormat)
	}
	return nil
}

// decoder reads arrays and keeps the first error.
type decoder struct {
	f   *safetensors.File
	err error
}

// raw returns the bytes of the named array, which must have dtype dt and
// n elements (any number when n < 0).
func (d *decoder) raw(name string, dt safetensors.Dtype, n int) []byte {
	if d.err != nil {
		return nil
	}
	t, ok := d.f.Tensor(name)
	switch {
	case !ok:
		d.err = fmt.Errorf("%w: no array %q", ErrFormat, name)
	case t.Dtype != dt || len(t.Shape) != 1 || (n >= 0 && t.Shape[0] != n):
		d.err = fmt.Errorf("%w: array %q is %s%v, want %s[%d]", ErrFormat, name, t.Dtype, t.Shape, dt, n)
	default:
		b, err := d.f.Raw(name)
		if err != nil {
			d.err = fmt.Errorf("%w: %v", ErrFormat, err)
		}
		return b
	}
	return nil
}

func (d *decoder) bytes(name string, n int) []byte { return d.raw(name, safetensors.U8, n) }

func (d *decoder) ints32(name string, n int) []int {
	b := d.raw(name, safetensors.I32, n)
	out := make([]int, len(b)/4)
	for i := range out {
		out[i] = int(int32(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return out
}

func (d *decoder) floats64(name string, n int) []float64 {
	b := d.raw(name, safetensors.F64, n)
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}

// readMap reads one table's map.
func (d *decoder) readMap(t Table, prefix string) *heuristics.Map {
	ids := d.ints32(prefix+"ids", -1)
	n := len(ids)
	ob := d.raw(prefix+"offsets", safetensors.I64, n+1)
	old := d.ints32(prefix+"old", -1)
	weight := d.floats64(prefix+"weight", len(old))
	mean := d.floats64(prefix+"mean", n)
	noise := d.bytes(prefix+"noise", n)
	hb := d.raw(prefix+"how", safetensors.U16, n)
	m := &heuristics.Map{Rows: make([]heuristics.Row, n)}
	if t.Noise != nil {
		m.Noise = heuristics.Noise{Scale: t.Noise.Scale, Seed: t.Noise.Seed}
	}
	for _, name := range t.Measures {
		m.Measures = append(m.Measures, heuristics.Measure{Name: name, Values: d.floats64(prefix+"measure."+name, n)})
	}
	if d.err != nil {
		return m
	}
	terms := make([]heuristics.Term, len(old))
	for k := range old {
		terms[k] = heuristics.Term{Old: old[k], Weight: weight[k]}
	}
	prev := int64(0)
	for i := range n {
		end := int64(binary.LittleEndian.Uint64(ob[8*(i+1):]))
		h := int(binary.LittleEndian.Uint16(hb[2*i:]))
		if end < prev || end > int64(len(old)) || h >= len(t.How) || noise[i] > 1 || (noise[i] == 1 && t.Noise == nil) {
			d.err = fmt.Errorf("%w: %srow %d is inconsistent (terms to %d of %d, way %d of %d, noise %d)", ErrFormat, prefix, i, end, len(old), h, len(t.How), noise[i])
			return m
		}
		m.Rows[i] = heuristics.Row{ID: ids[i], Terms: terms[prev:end:end], Mean: mean[i], Noise: noise[i] == 1, How: t.How[h]}
		prev = end
	}
	if binary.LittleEndian.Uint64(ob) != 0 || prev != int64(len(old)) {
		d.err = fmt.Errorf("%w: %soffsets do not cover the terms", ErrFormat, prefix)
	}
	return m
}
