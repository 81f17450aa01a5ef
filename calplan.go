package transplant

import (
	"runtime"

	"github.com/transplant-dev/transplant/checkpoint"
	"github.com/transplant-dev/transplant/heuristics"
)

// What calibration's memory estimate assumes of the forward pass: see
// calibrationBytes.
const (
	// calWindowTokens is the tokens of one window of the forward pass.
	calWindowTokens = 256
	// calBytesPerToken is the text's bytes per token the estimate of the
	// samples assumes: English runs 3.4 to 4 bytes per token on the
	// tokenizers tried (3.45 for Mistral's on the shared held-out text),
	// so three leaves room for code and other scripts.
	calBytesPerToken = 3
	// calSamplesPerToken is the most samples taken at one position of
	// the text: one of the token there (an occurrence, a shared row's
	// context, a stay context) and, where a first piece has been read,
	// one of a continuation that now goes into a new token instead
	// (sharedRows.followSamples).
	calSamplesPerToken = 2
)

// calibrationBytes estimates what calibrating the head on a text of
// textBytes holds beyond the row maps, the tables being freed by then, at
// its peak: while the head is fitted (calibrationFitBytes), or after,
// while fitTransplant runs the transplant (transplantPassBytes). While it
// fits, it holds the base model in float32 for the forward pass, whose head stands in for
// the head table (calibrationHead) unless a bias column widens it; the
// donor model too, when it runs, with the logits of both over a window
// per worker; the sums of the base's projection (recutProjection); each
// worker's activations and logits; calSamplesPerToken states per token
// of text for the samples; and the fit's factors.
func (s *Session) calibrationBytes(textBytes int) int64 {
	t, ok := s.table(heuristics.OutputHead)
	if !ok {
		return 0
	}
	width, workers := int64(t.width()), int64(runtime.GOMAXPROCS(0))
	return max(s.calibrationFitBytes(textBytes), s.transplantPassBytes(width, workers))
}

// calibrationFitBytes is calibrationBytes until the head is fitted.
func (s *Session) calibrationFitBytes(textBytes int) int64 {
	t, ok := s.table(heuristics.OutputHead)
	if !ok {
		return 0
	}
	if textBytes <= 0 || textBytes > DefaultCalibrationBytes {
		textBytes = DefaultCalibrationBytes
	}
	width, workers := int64(t.width()), int64(runtime.GOMAXPROCS(0))
	held := 4 * s.base.NumParameters()
	if t.Bias != "" {
		held += int64(t.Rows) * width * 4
	}
	perWorker := runnerBytes(s.base)
	if s.donorRuns() {
		held += 4 * s.donor.NumParameters()
		perWorker += runnerBytes(s.donor)
		// The donor's logits over the window, the base's where they meet.
		perWorker += calWindowTokens * int64(s.newTok.VocabSize()+t.Rows) * 4
		// Its sums: the Gram matrix and a column per fitted token.
		held += width*width*8 + width*int64(len(s.targets))*4
	}
	// The base's projection for the recut rows: its sums, and the base's
	// logits at a window's samples, of the old tokens the rows begin and,
	// one after the other, at the samples inside a base token, of all.
	held += width*width*12 + calWindowTokens*int64(t.Rows)*4
	if s.extending() {
		// The new tokens' input rows from the base's first layer
		// (contextRows): their sums, the rows, the best rows and steps
		// refine keeps and a pass's steps and sums; each worker's window of
		// residuals while the base runs, and while refine probes, a pass
		// over the window and its probes (at most half as many as its ids:
		// every occurrence has two pieces or more) with their residuals.
		held += int64(len(s.targets)) * width * (8 + 4 + 8 + 4 + 8)
		perWorker += calWindowTokens * width * 4
		if c, err := forwardConfig(s.base); err == nil {
			n := int64(calWindowTokens * 3 / 2)
			perWorker = max(perWorker, c.ScratchBytes(int(n))+n*width*4)
		}
	}
	samples := int64(textBytes/calBytesPerToken) * calSamplesPerToken * width * 4
	// Fitting factors the shared width × width Gram matrices, in float64,
	// and each worker solves for one row at a time against its contexts,
	// then multiplies blocks of the new head's rows by the states of the
	// positions where the unseen rows' share is measured (lowerUnseen);
	// the fitted rows' changes are the maps' (Plan).
	perRow := max(width*ExtensionMaxOccurrences*8, massBlock*(width+massContexts)*4)
	fit := 3*width*width*8 + workers*perRow
	return held + samples + max(workers*perWorker, fit)
}

// transplantPassBytes estimates what fitTransplant holds once the fit
// is done: the transplant in float32 (the base's body and the new tables)
// with a window of states per worker, the states it keeps, their second
// moment with its last block's product and its factor, the continuation
// fit's sums of states after each prefix with the solves for them, its
// rows (maxContinuationPieces), and the space-split step's (at most a row
// per new token).
func (s *Session) transplantPassBytes(width, workers int64) int64 {
	states := int64(maxSpaceSplits+maxOtherStates) * width * 4
	rows := int64(s.alignment.Rows)
	return 4*s.base.NumParameters() + 2*rows*width*4 + workers*(runnerBytes(s.base)+calWindowTokens*width*4) +
		states + 3*width*width*8 + 3*maxPrefixes*width*8 + (maxContinuationPieces+rows)*width*4
}

// runnerBytes is what one forward pass of model over a window holds
// (none when the model does not run: calibration then fails before it
// holds anything).
func runnerBytes(model *checkpoint.Model) int64 {
	c, err := forwardConfig(model)
	if err != nil {
		return 0
	}
	return c.ScratchBytes(calWindowTokens)
}
