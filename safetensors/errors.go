package safetensors

import "errors"

// Sentinel errors that callers can branch on with errors.Is. Errors from this
// package wrap one of them inside an *Error that names the file and tensor.
var (
	// ErrFormat reports a file or index that breaks the safetensors format.
	ErrFormat = errors.New("bad format")
	// ErrDtype reports a dtype that is unknown, or not a floating-point one
	// where float32 values were asked for.
	ErrDtype = errors.New("unsupported dtype")
	// ErrNotFound reports a tensor name the file does not hold.
	ErrNotFound = errors.New("no such tensor")
	// ErrShortData reports tensor data that ends before the header says it
	// should, or a writer given fewer bytes than a tensor needs.
	ErrShortData = errors.New("short tensor data")
)

// Error describes what is wrong with a file, and with which tensor.
type Error struct {
	Path   string // the file, "" when it has no name (NewReader)
	Tensor string // the tensor, "" when the problem is with the file as a whole
	Err    error  // the problem; wraps one of the sentinel errors
}

func (e *Error) Error() string {
	s := "safetensors: "
	if e.Path != "" {
		s += e.Path + ": "
	}
	if e.Tensor != "" {
		s += "tensor " + quote(e.Tensor) + ": "
	}
	return s + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

func quote(s string) string {
	const max = 200 // names come from untrusted headers; keep messages readable
	if len(s) > max {
		s = s[:max] + "..."
	}
	return `"` + s + `"`
}
