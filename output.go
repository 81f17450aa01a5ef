package transplant

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/checkpoint"
)

// roleKeys are the config keys that hold special-token ids, by role.
var roleKeys = []struct {
	key  string
	role align.Role
}{{"bos_token_id", align.BOS}, {"eos_token_id", align.EOS}, {"pad_token_id", align.PAD}}

// newConfig is the base's config.json with the new vocabulary size and
// special-token ids; every other key is kept as it was.
func (s *Session) newConfig() (*checkpoint.Config, error) {
	cfg := s.base.Config().Clone()
	if err := cfg.SetVocabSize(s.alignment.Rows); err != nil {
		return nil, err
	}
	if err := s.remapTokenIDs(cfg); err != nil {
		return nil, fmt.Errorf("transplant: config.json: %w", err)
	}
	return cfg, nil
}

// remapTokenIDs rewrites the special-token id keys of cfg for the new
// tokenizer: the new tokenizer's token for the role first, then the new
// tokens that inherited the old ids' rows (a list such as Llama 3's several
// end-of-turn ids keeps its other members that way), null when nothing is
// left. Keys the config lacks are added only when the new tokenizer fills
// the role.
func (s *Session) remapTokenIDs(cfg *checkpoint.Config) error {
	sp := s.newTok.Specials()
	roleID := map[align.Role]int{align.BOS: sp.BOS, align.EOS: sp.EOS, align.PAD: sp.PAD}
	for _, rk := range roleKeys {
		_, present := cfg.Raw(rk.key)
		newID := roleID[rk.role]
		if !present && newID < 0 {
			continue
		}
		var ids []int
		if newID >= 0 {
			ids = append(ids, newID)
		}
		for _, old := range cfg.TokenIDs(rk.key) {
			if n, ok := s.inheritor(old); ok && !contains(ids, n) {
				ids = append(ids, n)
			}
		}
		if _, wasList := rawIsList(cfg, rk.key); !wasList && len(ids) > 1 {
			ids = ids[:1]
		}
		var err error
		switch {
		case len(ids) == 0:
			err = cfg.Set(rk.key, nil)
		case len(ids) == 1:
			err = cfg.Set(rk.key, ids[0])
		default:
			err = cfg.Set(rk.key, ids)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func rawIsList(cfg *checkpoint.Config, key string) (string, bool) {
	raw, ok := cfg.Raw(key)
	s := strings.TrimSpace(string(raw))
	return s, ok && strings.HasPrefix(s, "[")
}

// inheritor finds the new token that carries old's row, preferring tokens
// placed by role or by the caller's map to those matched on text.
func (s *Session) inheritor(old int) (int, bool) {
	a := s.alignment
	for _, want := range []align.Kind{align.ByRole, align.Mapped, align.BySpelling, align.Exact, align.ByBytes} {
		for id, k := range a.Kind {
			if k == want && a.Source[id] == old {
				return id, true
			}
		}
	}
	return 0, false
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// outputFiles are the files placed beside the weights: the updated
// generation_config.json, the new tokenizer's files, and the base's
// license, readme and custom code. The base's own tokenizer files are
// left behind: they describe the old vocabulary.
func (s *Session) outputFiles() (map[string][]byte, error) {
	files := maps.Clone(s.newFiles)
	gen, err := s.generationConfig()
	if err != nil {
		return nil, err
	}
	if gen != nil {
		files["generation_config.json"] = gen
	}
	entries, err := os.ReadDir(s.base.Dir())
	if err != nil {
		return nil, fmt.Errorf("transplant: base: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !keepFromBase(e.Name()) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(s.base.Dir(), e.Name()))
		if err != nil {
			return nil, fmt.Errorf("transplant: base: %w", err)
		}
		files[e.Name()] = b
	}
	return files, nil
}

// keepFromBase says which of the base's other files travel with the model.
func keepFromBase(name string) bool {
	upper := strings.ToUpper(name)
	return strings.HasPrefix(upper, "LICENSE") || strings.HasPrefix(upper, "README") ||
		strings.HasPrefix(upper, "NOTICE") || strings.HasSuffix(name, ".py")
}

// generationConfig returns the base's generation_config.json with its
// special-token ids remapped, or nil when the base has none.
func (s *Session) generationConfig() ([]byte, error) {
	path := filepath.Join(s.base.Dir(), "generation_config.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("transplant: %w", err)
	}
	gen, err := checkpoint.ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("transplant: %s: %w", path, err)
	}
	if err := s.remapTokenIDs(gen); err != nil {
		return nil, fmt.Errorf("transplant: %s: %w", path, err)
	}
	return gen.Marshal()
}
