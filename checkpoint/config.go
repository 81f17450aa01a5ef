package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"slices"
)

// Config is a model's config.json. It keeps every key in its original order
// with its value exactly as written, so a writer can change a few keys
// (vocab_size, the special token ids) and leave the rest of the file alone.
// The typed accessors read the keys transplant needs.
type Config struct {
	keys   []string
	values map[string]json.RawMessage
}

// ReadConfig reads and parses a config.json file.
func ReadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	return c, nil
}

// ParseConfig parses the contents of a config.json file, which must be a
// JSON object. A key given twice keeps its first position and last value,
// as Python's json module does.
func ParseConfig(data []byte) (*Config, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("%w: config is not a JSON object", ErrFormat)
	}
	c := &Config{values: make(map[string]json.RawMessage)}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: config is not valid JSON: %v", ErrFormat, err)
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%w: config key %q: %v", ErrFormat, key, err)
		}
		if _, dup := c.values[key]; !dup {
			c.keys = append(c.keys, key)
		}
		c.values[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%w: config is not valid JSON: %v", ErrFormat, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: config has data after its closing brace", ErrFormat)
	}
	return c, nil
}

// Clone returns an independent copy of c.
func (c *Config) Clone() *Config {
	d := &Config{keys: slices.Clone(c.keys), values: make(map[string]json.RawMessage, len(c.values))}
	for k, v := range c.values {
		d.values[k] = slices.Clone(v)
	}
	return d
}

// Keys returns the config's keys in file order.
func (c *Config) Keys() []string { return slices.Clone(c.keys) }

// Raw returns the JSON value of key as written in the file.
func (c *Config) Raw(key string) (json.RawMessage, bool) {
	v, ok := c.values[key]
	return v, ok
}

// Get decodes the value of key into v, reporting whether the key exists.
func (c *Config) Get(key string, v any) (bool, error) {
	raw, ok := c.values[key]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("%w: config key %q: %v", ErrFormat, key, err)
	}
	return true, nil
}

// Set gives key the JSON encoding of v, in place if the key exists and at
// the end otherwise.
func (c *Config) Set(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("checkpoint: config key %q: %w", key, err)
	}
	if _, ok := c.values[key]; !ok {
		c.keys = append(c.keys, key)
	}
	c.values[key] = raw
	return nil
}

// Delete removes key.
func (c *Config) Delete(key string) {
	if _, ok := c.values[key]; ok {
		delete(c.values, key)
		c.keys = slices.DeleteFunc(c.keys, func(k string) bool { return k == key })
	}
}

// Marshal encodes the config as transformers writes it (two-space indent,
// trailing newline) but in the original key order.
func (c *Config) Marshal() ([]byte, error) {
	compact, err := c.MarshalJSON()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Indent(&b, compact, "", "  "); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// MarshalJSON encodes the config compactly, in the original key order.
func (c *Config) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range c.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(k)
		b.Write(key)
		b.WriteByte(':')
		if err := json.Compact(&b, c.values[k]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// Architectures returns the "architectures" list (model class names).
func (c *Config) Architectures() []string {
	var a []string
	c.Get("architectures", &a)
	return a
}

// ModelType returns "model_type", or "".
func (c *Config) ModelType() string {
	var s string
	c.Get("model_type", &s)
	return s
}

// Int returns an integer-valued key.
func (c *Config) Int(key string) (int, bool) {
	var n int
	ok, err := c.Get(key, &n)
	return n, ok && err == nil
}

// textConfig returns the nested "text_config" of a multimodal config, or nil.
func (c *Config) textConfig() *Config {
	raw, ok := c.values["text_config"]
	if !ok {
		return nil
	}
	t, err := ParseConfig(raw)
	if err != nil {
		return nil
	}
	return t
}

// VocabSize returns "vocab_size" (from "text_config" when the top level has
// none), or 0 when absent. It is the size of the id space the model was
// configured with; embedding tables are often padded to more rows.
func (c *Config) VocabSize() int {
	if n, ok := c.Int("vocab_size"); ok {
		return n
	}
	if t := c.textConfig(); t != nil {
		n, _ := t.Int("vocab_size")
		return n
	}
	return 0
}

// SetVocabSize sets "vocab_size" where the config keeps it: in
// "text_config" when only that has one, at the top level otherwise.
func (c *Config) SetVocabSize(n int) error {
	if _, ok := c.values["vocab_size"]; !ok {
		if t := c.textConfig(); t != nil {
			if _, ok := t.values["vocab_size"]; ok {
				t.Set("vocab_size", n)
				return c.Set("text_config", t)
			}
		}
	}
	return c.Set("vocab_size", n)
}

// TieWordEmbeddings returns "tie_word_embeddings" and whether the config
// sets it.
func (c *Config) TieWordEmbeddings() (tie, ok bool) {
	ok, err := c.Get("tie_word_embeddings", &tie)
	return tie, ok && err == nil
}

// TokenIDs returns a special token id key such as "eos_token_id", which
// may hold a number, a list of numbers or null; nil when absent or null.
func (c *Config) TokenIDs(key string) []int {
	var one int
	if ok, err := c.Get(key, &one); ok && err == nil && string(c.values[key]) != "null" {
		return []int{one}
	}
	var many []int
	c.Get(key, &many)
	return many
}
