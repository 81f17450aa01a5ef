package tokenizer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// Specials names special tokens by role. A role the tokenizer does not
// fill is -1.
type Specials struct {
	BOS, EOS, PAD, UNK int
	// IDs lists every special token, sorted: special added tokens, the
	// role tokens, additional_special_tokens, and what the post-processor
	// adds.
	IDs []int
	// Missing lists the roles whose token the configuration files name but
	// the vocabulary lacks, as "eos_token: </s>". transformers would add
	// such a token with a new id, so a model's tables cannot follow the
	// files as they are.
	Missing []string
}

// Specials returns the special tokens by role.
//
// Roles come from tokenizer_config.json, then special_tokens_map.json (when
// Load found them; a null entry leaves the role empty). A role neither
// file mentions falls back to the model's unk token for UNK, to the first
// token the post-processor puts before the text for BOS and the last it
// puts after it for EOS, and for PAD and UNK to a special added token
// spelled "<pad>"/"[PAD]" or "<unk>"/"[UNK]".
func (t *Tokenizer) Specials() Specials {
	s := t.specials
	s.IDs = append([]int(nil), s.IDs...)
	s.Missing = append([]string(nil), s.Missing...)
	return s
}

// roleConfig holds the role entries of tokenizer_config.json and
// special_tokens_map.json, in that order of precedence.
type roleConfig []map[string]json.RawMessage

func readRoleConfigs(dir string) (roleConfig, error) {
	return parseRoleConfigs(func(name string) ([]byte, string, error) {
		p := filepath.Join(dir, name)
		data, err := os.ReadFile(p)
		return data, p, err
	})
}

// parseRoleConfigs reads the role files through read, which returns a
// file's contents and the name to report it by; a file that does not
// exist (fs.ErrNotExist) is skipped.
func parseRoleConfigs(read func(name string) ([]byte, string, error)) (roleConfig, error) {
	var cfg roleConfig
	for _, name := range []string{"tokenizer_config.json", "special_tokens_map.json"} {
		data, p, err := read(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(data, &m); err != nil {
			return nil, &FileError{File: p, Err: fmt.Errorf("%w: %v", ErrFormat, err)}
		}
		cfg = append(cfg, m)
	}
	return cfg, nil
}

// tokenContent reads a role entry: a string, an AddedToken-like object
// with "content", or null.
func tokenContent(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, s != ""
	}
	var o struct {
		Content *string `json:"content"`
	}
	if json.Unmarshal(raw, &o) == nil && o.Content != nil {
		return *o.Content, *o.Content != ""
	}
	return "", false
}

// role returns the id of the first configured token for key, and the
// token's content when the vocabulary lacks it.
func (cfg roleConfig) role(t *Tokenizer, key string) (int, string) {
	for _, m := range cfg {
		raw, ok := m[key]
		if !ok {
			continue
		}
		if s, ok := tokenContent(raw); ok {
			if id, ok := t.ID(s); ok {
				return id, ""
			}
			return -1, s
		}
		return -1, "" // present but null: the role is empty
	}
	return -2, "" // not configured
}

func (t *Tokenizer) resolveSpecials(cfg roleConfig) Specials {
	var s Specials
	for _, r := range []struct {
		key string
		id  *int
	}{{"bos_token", &s.BOS}, {"eos_token", &s.EOS}, {"pad_token", &s.PAD}, {"unk_token", &s.UNK}} {
		var missing string
		if *r.id, missing = cfg.role(t, r.key); missing != "" {
			s.Missing = append(s.Missing, r.key+": "+missing)
		}
	}
	var before, after []int
	for _, p := range flatten(t.post) {
		if tp, ok := p.(template); ok {
			before, after = append(before, tp.before...), append(tp.after, after...)
		}
	}
	if s.BOS == -2 {
		s.BOS = -1
		if len(before) > 0 {
			s.BOS = before[0]
		}
	}
	if s.EOS == -2 {
		s.EOS = -1
		if len(after) > 0 {
			s.EOS = after[len(after)-1]
		}
	}
	if s.PAD == -2 {
		s.PAD = t.specialNamed("<pad>", "[PAD]", "<|pad|>")
	}
	if s.UNK == -2 {
		if s.UNK = t.modelUnk(); s.UNK < 0 {
			s.UNK = t.specialNamed("<unk>", "[UNK]", "<|unk|>")
		}
	}
	set := map[int]bool{}
	for _, a := range t.added.tokens {
		if a.Special {
			set[a.ID] = true
		}
	}
	for _, id := range []int{s.BOS, s.EOS, s.PAD, s.UNK} {
		if id >= 0 {
			set[id] = true
		}
	}
	if t.post != nil {
		for _, id := range t.post.specialIDs() {
			set[id] = true
		}
	}
	for _, m := range cfg {
		var extra []json.RawMessage
		if json.Unmarshal(m["additional_special_tokens"], &extra) == nil {
			for _, raw := range extra {
				if c, ok := tokenContent(raw); ok {
					if id, ok := t.ID(c); ok {
						set[id] = true
					}
				}
			}
		}
	}
	for id := range set {
		s.IDs = append(s.IDs, id)
	}
	sort.Ints(s.IDs)
	return s
}

// specialNamed returns the id of the first special added token spelled as
// one of names, or -1: the conventional spellings stand in for a missing
// tokenizer_config.json.
func (t *Tokenizer) specialNamed(names ...string) int {
	for _, n := range names {
		if id, ok := t.added.ids[n]; ok && t.added.byID[id].Special {
			return id
		}
	}
	return -1
}

func (t *Tokenizer) modelUnk() int {
	switch m := t.model.(type) {
	case *bpe:
		return m.unk
	case *wordPiece:
		return m.unk
	case *wordLevel:
		return m.unk
	case *unigram:
		return m.unk
	}
	return -1
}
