package checkpoint

import "errors"

// Sentinel errors callers can branch on with errors.Is.
var (
	// ErrFormat reports a malformed config.json or shard index, or an
	// index that disagrees with its shards.
	ErrFormat = errors.New("bad format")
	// ErrNoWeights reports a directory with no weights file transformers
	// would load.
	ErrNoWeights = errors.New("no weights file")
	// ErrNotFound reports a tensor name the model does not hold.
	ErrNotFound = errors.New("no such tensor")
	// ErrUnsupportedArchitecture reports a model whose architecture the
	// table of architectures lacks, so that its embedding and head cannot
	// be found.
	ErrUnsupportedArchitecture = errors.New("unsupported architecture")
	// ErrShape reports a tensor whose shape does not suit the request, such
	// as a row read from a tensor that is not 2-D.
	ErrShape = errors.New("wrong shape")
)
