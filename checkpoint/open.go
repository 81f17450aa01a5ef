package checkpoint

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/transplant-dev/transplant/safetensors"
)

// The weight files transformers looks for in a model directory, in its
// order of preference.
var weightNames = []string{
	"model.safetensors",
	safetensors.IndexName,
	"pytorch_model.bin",
	"pytorch_model.bin.index.json",
}

// ConfigName is the model configuration file of a model directory.
const ConfigName = "config.json"

// Open opens a model: a directory holding config.json and weights, or a
// single weights file (.safetensors, pytorch .bin, or a shard index .json).
// In a directory it picks the weights transformers would: safetensors
// before PyTorch, a single file before a sharded one. A single file reads
// the config.json beside it when there is one. Tensor data is read lazily.
func Open(path string) (*Model, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	dir, weights := filepath.Dir(path), path
	if st.IsDir() {
		dir = path
		if weights, err = findWeights(dir); err != nil {
			return nil, err
		}
	}
	m := newModel(path, dir, formatOf(weights))
	if err := m.load(weights); err != nil {
		m.Close()
		return nil, err
	}
	return m, nil
}

func (m *Model) load(weights string) error {
	if cfg := filepath.Join(m.dir, ConfigName); fileExists(cfg) {
		c, err := ReadConfig(cfg)
		if err != nil {
			return err
		}
		m.config = c
	}
	var err error
	if strings.HasSuffix(weights, ".index.json") {
		err = m.loadSharded(weights)
	} else {
		var f *weightFile
		if f, err = openWeights(weights); err == nil {
			err = m.add(weights, f)
		}
	}
	if err != nil {
		return err
	}
	m.resolve()
	return nil
}

func findWeights(dir string) (string, error) {
	for _, name := range weightNames {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("checkpoint: %s: %w (looked for %s)", dir, ErrNoWeights, strings.Join(weightNames, ", "))
}

func formatOf(weights string) Format {
	if strings.HasSuffix(weights, ".safetensors") || strings.HasSuffix(weights, ".safetensors.index.json") {
		return Safetensors
	}
	return PyTorch
}

func openWeights(path string) (*weightFile, error) {
	if formatOf(path) == Safetensors {
		return openSafetensors(path)
	}
	return openPyTorch(path)
}

// loadSharded opens every shard an index names and checks that each tensor
// is where the index says.
func (m *Model) loadSharded(indexPath string) error {
	ix, err := safetensors.ReadIndex(indexPath)
	if err != nil {
		return err
	}
	for _, name := range ix.Files() {
		p := filepath.Join(m.dir, name)
		if !fileExists(p) {
			return fmt.Errorf("checkpoint: %s: %w: shard %s is missing", indexPath, ErrFormat, name)
		}
		f, err := openWeights(p)
		if err != nil {
			return err
		}
		if err := m.add(p, f); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(ix.WeightMap))
	for name := range ix.WeightMap {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		shard := ix.WeightMap[name]
		t, ok := m.Tensor(name)
		if !ok || t.File != shard {
			return fmt.Errorf("checkpoint: %s: tensor %q: %w: the index puts it in %s, which does not hold it",
				indexPath, name, ErrFormat, shard)
		}
	}
	return nil
}
