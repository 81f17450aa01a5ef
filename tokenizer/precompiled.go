package tokenizer

// newPrecompiled builds the SentencePiece "Precompiled" normalizer.
//
// The charsmap interpreter lives in internal/precompiled, which is not
// wired in yet; until it is, such files are reported as unsupported rather
// than encoded wrongly.
func newPrecompiled(o object) (normalizer, error) {
	if _, err := o.str("precompiled_charsmap"); err != nil {
		return nil, err
	}
	return nil, unsupportedErr(o.at("type"), "Precompiled normalizer (charsmap interpreter not available yet)")
}
