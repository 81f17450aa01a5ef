package extend

import (
	"errors"
	"fmt"
)

// Sentinel errors callers can branch on with errors.Is.
var (
	// ErrUnsupportedModel reports a tokenizer whose model family cannot be
	// extended (WordLevel, or a variant named in the message).
	ErrUnsupportedModel = errors.New("tokenizer model cannot be extended")

	// ErrFewCandidates is the warning an Extension carries when the corpus
	// held fewer candidates than the tokens asked for.
	ErrFewCandidates = errors.New("fewer candidates than tokens asked for")

	// ErrOutputInsideInput reports an output directory that is the base
	// tokenizer's directory or inside it.
	ErrOutputInsideInput = errors.New("output directory is, or is inside, the base tokenizer's directory")

	// ErrMismatch reports an Extension used with files other than those of
	// the base it was learned for.
	ErrMismatch = errors.New("extension does not belong to this tokenizer")
)

// A CorpusError reports a corpus that is not UTF-8 text: Offset is the
// position, in bytes from the start of the corpus, of the first byte of the
// first ill-formed sequence.
type CorpusError struct {
	Offset int64
}

func (e *CorpusError) Error() string {
	return fmt.Sprintf("extend: corpus is not UTF-8: ill-formed byte sequence at byte %d", e.Offset)
}
