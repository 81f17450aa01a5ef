package tokenizer

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// companionFiles are the files transformers' AutoTokenizer reads beside
// tokenizer.json.
var companionFiles = []string{
	"tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
	"chat_template.jinja", "chat_template.json",
}

// Files returns the files a model directory needs for the tokenizer at path
// (a tokenizer.json, a tokenizer.json.gz, or a directory holding one), by
// name: tokenizer.json, decompressed, and the companion files found beside
// it (tokenizer_config.json, special_tokens_map.json, added_tokens.json,
// chat templates).
func Files(path string) (map[string][]byte, error) {
	file, err := FindFile(path)
	if err != nil {
		return nil, err
	}
	data, err := readMaybeGzip(file)
	if err != nil {
		return nil, fmt.Errorf("tokenizer: %w", err)
	}
	files := map[string][]byte{"tokenizer.json": data}
	for _, name := range companionFiles {
		b, err := os.ReadFile(filepath.Join(filepath.Dir(file), name))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("tokenizer: %w", err)
		}
		files[name] = b
	}
	return files, nil
}

// LoadFiles builds a tokenizer from the files Files returns, held in
// memory: tokenizer.json and its companions by name. source names them in
// errors, for example the file they were read from.
func LoadFiles(files map[string][]byte, source string) (*Tokenizer, error) {
	data, ok := files["tokenizer.json"]
	if !ok {
		return nil, &FileError{File: source, Err: fmt.Errorf("%w: no tokenizer.json", ErrFormat)}
	}
	t, err := parse(data, source+": tokenizer.json")
	if err != nil {
		return nil, err
	}
	cfg, err := parseRoleConfigs(func(name string) ([]byte, string, error) {
		b, ok := files[name]
		if !ok {
			return nil, "", fs.ErrNotExist
		}
		return b, source + ": " + name, nil
	})
	if err != nil {
		return nil, err
	}
	t.specials = t.resolveSpecials(cfg)
	return t, nil
}
