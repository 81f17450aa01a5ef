package safetensors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// IndexName is the file that lists the shards of a sharded safetensors
// checkpoint.
const IndexName = "model.safetensors.index.json"

// Index is a shard index file (model.safetensors.index.json, and the same
// format for pytorch_model.bin.index.json): which file holds each tensor.
type Index struct {
	// Metadata holds "total_size" (bytes of tensor data) and whatever else
	// the writer put there.
	Metadata map[string]any `json:"metadata"`
	// WeightMap maps each tensor name to the file, in the index's
	// directory, that holds it.
	WeightMap map[string]string `json:"weight_map"`
}

// ReadIndex reads and validates a shard index file. Shard names must be
// plain file names in the index's directory.
func ReadIndex(path string) (*Index, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	ix, err := ParseIndex(data)
	if err != nil {
		return nil, withPath(err, path)
	}
	return ix, nil
}

// ParseIndex parses and validates the contents of a shard index file.
func ParseIndex(data []byte) (*Index, error) {
	var ix Index
	if err := json.Unmarshal(data, &ix); err != nil {
		return nil, fmt.Errorf("%w: index is not valid JSON: %v", ErrFormat, err)
	}
	if len(ix.WeightMap) == 0 {
		return nil, fmt.Errorf("%w: index has no weight_map", ErrFormat)
	}
	for name, file := range ix.WeightMap {
		if !plainFileName(file) {
			return nil, &Error{Tensor: name, Err: fmt.Errorf("%w: shard %s is not a file name in the index's directory", ErrFormat, quote(file))}
		}
	}
	return &ix, nil
}

func plainFileName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, `/\`) && filepath.Base(name) == name
}

// Files returns the shard file names the index refers to, sorted.
func (ix *Index) Files() []string {
	var files []string
	for _, f := range ix.WeightMap {
		files = append(files, f)
	}
	slices.Sort(files)
	return slices.Compact(files)
}

// Marshal encodes the index as transformers writes it: two-space indent,
// sorted keys, trailing newline.
func (ix *Index) Marshal() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ix); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Shard is one output file of a sharded checkpoint.
type Shard struct {
	Name    string
	Tensors []TensorInfo
}

// ShardName returns the name of shard i (0-based) of n, as save_pretrained
// spells it: model-00001-of-00003.safetensors for prefix "model" and ext
// ".safetensors". A single shard is just prefix+ext.
func ShardName(prefix, ext string, i, n int) string {
	if n == 1 {
		return prefix + ext
	}
	return fmt.Sprintf("%s-%05d-of-%05d%s", prefix, i+1, n, ext)
}

// PlanShards splits tensors, kept in order, into files of at most
// maxShardSize bytes of tensor data, the way save_pretrained does: a tensor
// larger than the limit gets a file to itself. maxShardSize <= 0 means one
// file. The shards are named for prefix "model", ext ".safetensors".
func PlanShards(tensors []TensorInfo, maxShardSize int64) []Shard {
	var groups [][]TensorInfo
	var cur []TensorInfo
	var size int64
	for _, t := range tensors {
		n := t.ByteSize()
		if maxShardSize > 0 && len(cur) > 0 && size+n > maxShardSize {
			groups, cur, size = append(groups, cur), nil, 0
		}
		cur = append(cur, t)
		size += n
	}
	if len(cur) > 0 || len(groups) == 0 {
		groups = append(groups, cur)
	}
	shards := make([]Shard, len(groups))
	for i, g := range groups {
		shards[i] = Shard{Name: ShardName("model", ".safetensors", i, len(groups)), Tensors: g}
	}
	return shards
}

// IndexFor returns the index of a sharded checkpoint made of shards.
func IndexFor(shards []Shard) *Index {
	ix := &Index{Metadata: map[string]any{}, WeightMap: map[string]string{}}
	var total int64
	for _, s := range shards {
		for _, t := range s.Tensors {
			ix.WeightMap[t.Name] = s.Name
			total += t.ByteSize()
		}
	}
	ix.Metadata["total_size"] = total
	return ix
}
