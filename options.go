package transplant

import (
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/safetensors"
)

// Options says what to transplant onto what, and how.
type Options struct {
	// Base is the model directory to transplant (or its weights file, with
	// config.json and tokenizer.json beside it).
	Base string
	// Tokenizer is the new tokenizer: a tokenizer.json (or .json.gz) or a
	// directory holding one. Empty means the donor's tokenizer.
	Tokenizer string
	// Donor is an optional model directory that already uses the new
	// tokenizer; knn and omp need one.
	Donor string

	// Input builds the new rows of the input embedding; Output those of
	// the output head (nil: the same method as Input). A tied model has
	// one table, built with Input.
	Input, Output heuristics.Method

	// Map pairs old special tokens with new ones by spelling (see
	// align.Options.Map).
	Map map[string]string
	// PadToMultipleOf rounds the new row count up; 0 pads as the base was.
	PadToMultipleOf int
	// Seed makes random methods repeatable.
	Seed uint64
	// Dtype of the new tables; empty keeps the base's.
	Dtype safetensors.Dtype
	// MaxShardSize splits the output weights; 0 is transformers' default.
	MaxShardSize int64

	// Explain names new tokens (by spelling, text or "#ID") whose rows the
	// report explains: copied from which old token, or built from which
	// rows with which weights.
	Explain []string
	// TokenRows asks for the same details for every row a method builds,
	// in Report.Tokens (not written to transplant.json: it can be large).
	TokenRows bool

	// ToolVersion is recorded in transplant.json.
	ToolVersion string
	// Progress, when set, hears about long stages: stage names a step
	// ("input embedding", "output head", "writing"), done and total count
	// its units.
	Progress func(stage string, done, total int64)
}

func (o *Options) progress(stage string) func(done, total int) {
	if o.Progress == nil {
		return nil
	}
	return func(done, total int) { o.Progress(stage, int64(done), int64(total)) }
}

func (o *Options) outputMethod() heuristics.Method {
	if o.Output != nil {
		return o.Output
	}
	return o.Input
}
