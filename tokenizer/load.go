package tokenizer

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// maxFileSize bounds what Load reads (decompressed), so that a hostile .gz
// cannot exhaust memory.
const maxFileSize = 1 << 30

// Load reads a tokenizer from a tokenizer.json, a tokenizer.json.gz, or a
// directory holding one, together with the tokenizer_config.json and
// special_tokens_map.json beside it when present (for Specials).
func Load(path string) (*Tokenizer, error) {
	file, err := FindFile(path)
	if err != nil {
		return nil, err
	}
	data, err := readMaybeGzip(file)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	t, err := parse(data, file)
	if err != nil {
		return nil, err
	}
	cfg, err := readRoleConfigs(filepath.Dir(file))
	if err != nil {
		return nil, err
	}
	t.specials = t.resolveSpecials(cfg)
	return t, nil
}

// Parse reads a tokenizer from the contents of a tokenizer.json. Special
// token roles come from the file alone (see Specials).
func Parse(data []byte) (*Tokenizer, error) {
	t, err := parse(data, "tokenizer.json")
	if err != nil {
		return nil, err
	}
	t.specials = t.resolveSpecials(nil)
	return t, nil
}

// FindFile returns the tokenizer file Load would read for path: path itself
// when it is a file, else the directory's tokenizer.json or
// tokenizer.json.gz (ErrNoTokenizer when it has neither).
func FindFile(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("tokenizer: %w", err)
	}
	if !st.IsDir() {
		return path, nil
	}
	for _, name := range []string{"tokenizer.json", "tokenizer.json.gz"} {
		p := filepath.Join(path, name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("tokenizer: %s: %w", path, ErrNoTokenizer)
}

func readMaybeGzip(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		defer z.Close()
		r = z
	}
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxFileSize)
	}
	return data, nil
}

// parse builds a tokenizer from the JSON of a tokenizer file; file names it
// in errors.
func parse(data []byte, file string) (*Tokenizer, error) {
	t, err := build(data)
	if err != nil {
		return nil, withFile(file, err)
	}
	t.file = file
	return t, nil
}

func build(data []byte) (*Tokenizer, error) {
	// The fast readers of fastjson.go rely on this check of the whole file.
	if !json.Valid(data) {
		e := json.Unmarshal(data, new(any))
		var syntax *json.SyntaxError
		if asSyntax(e, &syntax) {
			return nil, &FileError{Err: fmt.Errorf("%w: not valid JSON at byte %d: %v", ErrFormat, syntax.Offset, e)}
		}
		return nil, &FileError{Err: fmt.Errorf("%w: not valid JSON: %v", ErrFormat, e)}
	}
	root, err := parseObject(bytes.TrimSpace(data), "")
	if err != nil {
		return nil, err
	}
	if v, err := root.optStr("version", "1.0"); err != nil {
		return nil, err
	} else if v != "1.0" {
		return nil, unsupportedErr("version", "tokenizer file version %q", v)
	}
	t := &Tokenizer{}
	if t.model, err = newModel(root.m["model"], "model"); err != nil {
		return nil, err
	}
	if !root.null("normalizer") {
		if t.norm, err = newNormalizer(root.m["normalizer"], "normalizer"); err != nil {
			return nil, err
		}
	}
	if !root.null("pre_tokenizer") {
		if t.pre, err = newPreTokenizer(root.m["pre_tokenizer"], "pre_tokenizer"); err != nil {
			return nil, err
		}
	}
	if !root.null("post_processor") {
		if t.post, err = newPostProcessor(root.m["post_processor"], "post_processor"); err != nil {
			return nil, err
		}
	}
	if !root.null("decoder") {
		if t.dec, err = newDecoder(root.m["decoder"], "decoder"); err != nil {
			return nil, err
		}
	}
	var items []json.RawMessage
	if !root.null("added_tokens") {
		if items, err = root.array("added_tokens"); err != nil {
			return nil, err
		}
	}
	if t.added, err = parseAddedTokens(items, "added_tokens", t.model, t.norm); err != nil {
		return nil, err
	}
	// Truncation and padding are encoding options, not part of what the
	// tokenizer is; Encode returns whole sequences whatever the file says.
	t.wire()
	return t, nil
}

func asSyntax(err error, target **json.SyntaxError) bool {
	s, ok := err.(*json.SyntaxError)
	if ok {
		*target = s
	}
	return ok
}

// wire builds the encoding pipelines and the per-id tables.
func (t *Tokenizer) wire() {
	// When the last pre-tokenizer spells bytes for a BPE model that can
	// read raw bytes, let the model do it.
	if bl := lastByteLevel(t.pre); bl != nil {
		if m, ok := t.model.(*bpe); ok && m.enableByteLevel() {
			bl.deferred = true
		}
	}
	t.main = pipeline{added: t.added, norm: t.norm, pre: t.pre, model: t.model, validate: true}
	t.surfaceSpace = spaceSpelling(t.norm, t.pre, t.dec)
	t.surface = pipeline{added: t.added.forSurface(), pre: surfacePreTokenizer(t.pre), model: t.model}
	t.surfaces = t.buildSurfaces()
}

// lastByteLevel returns the ByteLevel pre-tokenizer that runs last, if any.
func lastByteLevel(pt preTokenizer) *byteLevelPre {
	switch p := pt.(type) {
	case *byteLevelPre:
		return p
	case preTokenizerSequence:
		if len(p) > 0 {
			return lastByteLevel(p[len(p)-1])
		}
	}
	return nil
}
