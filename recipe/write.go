package recipe

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/internal/safefile"
	"github.com/transplant-dev/transplant/safetensors"
)

// metaKey is the safetensors metadata key that holds a recipe's Meta.
const metaKey = "transplant.recipe"

// WriteFile writes r to path, whole or not at all.
func WriteFile(path string, r *Recipe) error {
	f, err := safefile.Create(path)
	if err != nil {
		return fmt.Errorf("recipe: %w", err)
	}
	defer f.Abort()
	if err := Write(f, r); err != nil {
		return fmt.Errorf("recipe: %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("recipe: %w", err)
	}
	return nil
}

// Write writes r as a safetensors file. The same recipe always gives the
// same bytes.
func Write(w io.Writer, r *Recipe) error {
	meta, arrays, err := encode(r)
	if err != nil {
		return err
	}
	m, err := json.Marshal(meta)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(arrays))
	for name := range arrays {
		names = append(names, name)
	}
	slices.Sort(names)
	infos := make([]safetensors.TensorInfo, len(names))
	for i, name := range names {
		a := arrays[name]
		infos[i] = safetensors.TensorInfo{Name: name, Dtype: a.dtype, Shape: []int{len(a.data) / a.dtype.Size()}}
	}
	sw, err := safetensors.NewWriter(w, infos, map[string]string{metaKey: string(m)})
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := sw.WriteTensor(name, bytes.NewReader(arrays[name].data)); err != nil {
			return err
		}
	}
	return sw.Close()
}

// array is one tensor of a recipe, encoded little-endian.
type array struct {
	dtype safetensors.Dtype
	data  []byte
}

// encode splits r into its metadata and its arrays.
func encode(r *Recipe) (Meta, map[string]array, error) {
	meta := r.Meta
	meta.Format = FormatVersion
	if len(meta.Tables) != len(r.Maps) {
		return meta, nil, fmt.Errorf("%d table descriptions for %d maps", len(meta.Tables), len(r.Maps))
	}
	if len(r.Kind) != len(r.Source) {
		return meta, nil, fmt.Errorf("alignment has %d kinds and %d sources", len(r.Kind), len(r.Source))
	}
	arrays := map[string]array{}
	kinds := make([]byte, len(r.Kind))
	for i, k := range r.Kind {
		kinds[i] = byte(k)
	}
	arrays["alignment.kind"] = array{safetensors.U8, kinds}
	arrays["alignment.source"] = ints32(r.Source)
	meta.Tables = slices.Clone(meta.Tables)
	for i, m := range r.Maps {
		if err := encodeMap(&meta.Tables[i], m, fmt.Sprintf("tables.%d.", i), arrays); err != nil {
			return meta, nil, fmt.Errorf("table %d: %w", i, err)
		}
	}
	for name, data := range r.TokenizerFiles {
		arrays["tokenizer."+name] = array{safetensors.U8, data}
	}
	return meta, arrays, nil
}

// encodeMap writes one map's arrays under prefix and its dictionaries
// into t.
func encodeMap(t *Table, m *heuristics.Map, prefix string, arrays map[string]array) error {
	n := len(m.Rows)
	ids, offsets := make([]int, n), make([]int64, n+1)
	var old []int
	var weight []float64
	mean := make([]float64, n)
	noise := make([]byte, n)
	how := make([]uint16, n)
	index := map[string]int{}
	t.How, t.Measures, t.Noise = nil, nil, nil
	for i, r := range m.Rows {
		if r.Delta != nil {
			return fmt.Errorf("%w: row %d (new id %d) has a correction fitted to the base model (a calibrated head)", ErrNotRecordable, i, r.ID)
		}
		ids[i], mean[i] = r.ID, r.Mean
		for _, term := range r.Terms {
			old = append(old, term.Old)
			weight = append(weight, term.Weight)
		}
		offsets[i+1] = int64(len(old))
		if r.Noise {
			noise[i] = 1
			t.Noise = &Noise{Scale: m.Noise.Scale, Seed: m.Noise.Seed}
		}
		k, ok := index[r.How]
		if !ok {
			k = len(t.How)
			index[r.How] = k
			t.How = append(t.How, r.How)
		}
		if k > math.MaxUint16 {
			return fmt.Errorf("more than %d ways of making rows", math.MaxUint16)
		}
		how[i] = uint16(k)
	}
	arrays[prefix+"ids"] = ints32(ids)
	arrays[prefix+"offsets"] = array{safetensors.I64, le(offsets)}
	arrays[prefix+"old"] = ints32(old)
	arrays[prefix+"weight"] = array{safetensors.F64, le(weight)}
	arrays[prefix+"mean"] = array{safetensors.F64, le(mean)}
	arrays[prefix+"noise"] = array{safetensors.U8, noise}
	arrays[prefix+"how"] = array{safetensors.U16, le(how)}
	for _, ms := range m.Measures {
		if len(ms.Values) != n {
			return fmt.Errorf("measure %q has %d values for %d rows", ms.Name, len(ms.Values), n)
		}
		t.Measures = append(t.Measures, ms.Name)
		arrays[prefix+"measure."+ms.Name] = array{safetensors.F64, le(ms.Values)}
	}
	return nil
}

func ints32(v []int) array {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return array{safetensors.I32, le(out)}
}

// le encodes a slice of fixed-size numbers little-endian.
func le[T int32 | int64 | uint16 | float64](v []T) []byte {
	var buf bytes.Buffer
	binary.Write(&buf, binary.LittleEndian, v)
	return buf.Bytes()
}
