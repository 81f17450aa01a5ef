package tokenizer

import (
	"errors"
	"fmt"
)

// Sentinel errors callers can branch on with errors.Is.
var (
	// ErrFormat reports a tokenizer file that is not valid: bad JSON, a
	// missing or mistyped field, a merge naming a token not in the
	// vocabulary, two tokens sharing an id.
	ErrFormat = errors.New("invalid tokenizer file")

	// ErrUnsupported reports a well-formed component this package does not
	// implement. Components are never skipped silently: a tokenizer that
	// loads encodes exactly as its file says.
	ErrUnsupported = errors.New("unsupported tokenizer component")

	// ErrNoTokenizer reports a directory without a tokenizer.json or
	// tokenizer.json.gz.
	ErrNoTokenizer = errors.New("no tokenizer.json or tokenizer.json.gz in the directory")
)

// A FileError is a problem at one place of a tokenizer file.
type FileError struct {
	File string // path of the file, as given to Load
	Path string // JSON path of the offending value, e.g. "pre_tokenizer.pretokenizers[1].type"
	Err  error  // the problem; wraps ErrFormat or ErrUnsupported
}

func (e *FileError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("tokenizer: %s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("tokenizer: %s: %s: %v", e.File, e.Path, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// formatErr and unsupportedErr build the error a component constructor
// returns; the loader adds the file name on the way out.
func formatErr(path, format string, args ...any) error {
	return &FileError{Path: path, Err: fmt.Errorf("%w: %s", ErrFormat, fmt.Sprintf(format, args...))}
}

func unsupportedErr(path, format string, args ...any) error {
	return &FileError{Path: path, Err: fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))}
}

// withFile sets the file name on a FileError (or wraps any other error).
func withFile(file string, err error) error {
	if err == nil {
		return nil
	}
	var fe *FileError
	if errors.As(err, &fe) {
		if fe.File == "" {
			fe.File = file
		}
		return fe
	}
	return &FileError{File: file, Err: err}
}
