package transplant

import "github.com/transplant-dev/transplant/checkpoint"

// ForwardWork is what a run's forward passes compute, for an estimate of
// its time: the text they read through the base model, every pass
// counted (Auto's scoring of its candidates and its fit, the calibration
// of the head), the text through the donor where calibration runs it too,
// and what one token costs each model. A caller turns bytes into tokens
// with the tokenizer and operations into seconds with the machine's rate.
// It is an upper bound where Auto may stop short (candidates that
// coincide are scored once) and where calibration may leave the donor out
// (CalibrationOptions.BaseOnly).
type ForwardWork struct {
	BaseBytes  int64 `json:"base_bytes,omitempty"`
	DonorBytes int64 `json:"donor_bytes,omitempty"`
	// BaseFLOPs and DonorFLOPs are the floating-point operations of one
	// token through each model: two for every weight it multiplies (the
	// body's and the head's; the embedding is only looked up), attention
	// over the context left out (small beside them at the windows
	// calibration and scoring use).
	BaseFLOPs  int64 `json:"base_flops_per_token,omitempty"`
	DonorFLOPs int64 `json:"donor_flops_per_token,omitempty"`
}

// FLOPs is the work's total floating-point operations at tokensPerByte,
// the base tokenizer's tokens per byte of the text (the donor's is taken
// to be the same).
func (w ForwardWork) FLOPs(tokensPerByte float64) float64 {
	return tokensPerByte * (float64(w.BaseBytes)*float64(w.BaseFLOPs) + float64(w.DonorBytes)*float64(w.DonorFLOPs))
}

// calibrationWork is the forward work of calibrating the head on a text
// of textBytes: one pass of the base over what calibration reads of it,
// and one of the donor when calibration runs it.
func (s *Session) calibrationWork(textBytes int) ForwardWork {
	n := int64(min(textBytes, DefaultCalibrationBytes))
	w := ForwardWork{BaseBytes: n, BaseFLOPs: tokenFLOPs(s.base)}
	if s.donorRuns() {
		w.DonorBytes, w.DonorFLOPs = n, tokenFLOPs(s.donor)
	}
	return w
}

// autoWork is the forward work of Auto on a text of textBytes weighing
// the given numbers of input and head candidates, and then of the
// calibration its choice may ask for: each candidate scored on the last
// quarter (at most DefaultAutoBytes), the heads calibrated on the first
// three quarters, then the whole text.
func (s *Session) autoWork(textBytes, inputs, heads int) ForwardWork {
	if textBytes <= 0 {
		return ForwardWork{BaseFLOPs: tokenFLOPs(s.base)}
	}
	fit := textBytes * 3 / 4
	scored := int64(min(textBytes-fit, DefaultAutoBytes))
	candidates := int64(autoTries(inputs, heads))
	w := s.calibrationWork(fit)
	final := s.calibrationWork(textBytes)
	w.BaseBytes += candidates*scored + final.BaseBytes
	w.DonorBytes += final.DonorBytes
	return w
}

// tokenFLOPs is what one token costs model's forward pass: two operations
// per weight it multiplies, which is every weight but the input
// embedding's, the head's included even when it is the embedding.
func tokenFLOPs(model *checkpoint.Model) int64 {
	n := model.NumParameters()
	if emb, ok := model.Embedding(); ok && !model.Tied() {
		n -= emb.NumElements()
	}
	return 2 * n
}
