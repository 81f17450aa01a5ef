package pytorch

import "errors"

// Sentinel errors callers can branch on with errors.Is.
var (
	// ErrFormat reports a file that is not a well-formed torch checkpoint.
	ErrFormat = errors.New("not a valid torch checkpoint")
	// ErrForbidden reports a pickle global outside the allow-list.
	ErrForbidden = errors.New("forbidden pickle global")
	// ErrUnsupported reports a valid checkpoint this package does not read:
	// TorchScript archives, big-endian data, compressed storages, the
	// pre-2018 tar format.
	ErrUnsupported = errors.New("unsupported torch checkpoint")
	// ErrNotFound reports a tensor name the checkpoint does not hold.
	ErrNotFound = errors.New("no such tensor")
)

// Error describes what is wrong with a checkpoint, and with which tensor.
type Error struct {
	Path   string // the file
	Tensor string // the tensor, "" when the problem is with the file as a whole
	Err    error  // the problem; wraps one of the sentinel errors
}

func (e *Error) Error() string {
	s := "pytorch: "
	if e.Path != "" {
		s += e.Path + ": "
	}
	if e.Tensor != "" {
		s += "tensor \"" + e.Tensor + "\": "
	}
	return s + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }
