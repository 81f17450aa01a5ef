package main

import (
	"fmt"
	"io"
	"time"

	"github.com/transplant-dev/transplant"
	"github.com/transplant-dev/transplant/internal/fastblas"
	"github.com/transplant-dev/transplant/tokenizer"
)

// A timeEstimate is what a dry run says of the time the forward passes
// will take on this machine.
type timeEstimate struct {
	Bytes   int64   `json:"bytes"` // text through the models, every pass counted
	Tokens  float64 `json:"tokens"`
	FLOPs   float64 `json:"flops"`
	Rate    float64 `json:"flops_per_second"` // the machine's matrix products, measured
	Seconds float64 `json:"seconds"`
}

// rateProbe is how long a dry run times matrix products for.
const rateProbe = 300 * time.Millisecond

// estimateTime works out the time of work, whose text is cut by tok as
// sample is: its tokens per byte, over at most a mebibyte of sample, turn
// bytes into tokens, and the rate this machine's matrix products run at
// turns operations into seconds. It returns nil when there is no work.
func estimateTime(work transplant.ForwardWork, tok *tokenizer.Tokenizer, sample []byte) *timeEstimate {
	if work.BaseBytes+work.DonorBytes == 0 || len(sample) == 0 {
		return nil
	}
	sample = sample[:min(len(sample), 1<<20)]
	perByte := float64(len(tok.Encode(string(sample), false))) / float64(len(sample))
	e := &timeEstimate{Bytes: work.BaseBytes + work.DonorBytes, FLOPs: work.FLOPs(perByte), Rate: fastblas.Rate(rateProbe)}
	e.Tokens = perByte * float64(e.Bytes)
	e.Seconds = e.FLOPs / e.Rate
	return e
}

func printEstimate(w io.Writer, what string, e *timeEstimate) {
	if e == nil {
		return
	}
	fmt.Fprintf(w, "%s: %s of text through the models, %s tokens, %.3g TFLOP: at least %s (the matrix products alone, at the %.0f GFLOP/s measured here)\n",
		what, humanBytes(e.Bytes), humanCount(int64(e.Tokens)), e.FLOPs/1e12, humanDuration(e.Seconds), e.Rate/1e9)
}

// humanDuration writes seconds as a dry run's estimate needs: rounded,
// in the largest unit that keeps a number above one.
func humanDuration(s float64) string {
	switch {
	case s >= 2*3600:
		return fmt.Sprintf("%.1f hours", s/3600)
	case s >= 2*60:
		return fmt.Sprintf("%.0f min", s/60)
	case s >= 1:
		return fmt.Sprintf("%.0f s", s)
	}
	return "under a second"
}
