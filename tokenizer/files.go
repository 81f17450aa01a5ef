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
