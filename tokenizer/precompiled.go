package tokenizer

import (
	"encoding/base64"

	"github.com/transplant-dev/transplant/tokenizer/internal/precompiled"
)

// precompiledNormalizer is SentencePiece's "Precompiled" normalizer: a
// charsmap (a trie of replacements) compiled from the model's
// normalization rules, carried base64-encoded in the file.
type precompiledNormalizer struct{ n *precompiled.Normalizer }

func newPrecompiled(o object) (normalizer, error) {
	s, err := o.optStr("precompiled_charsmap", "")
	if err != nil {
		return nil, err
	}
	if s == "" {
		// An empty charsmap normalizes nothing, as in the reference.
		return normalizerSequence(nil), nil
	}
	blob, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, formatErr(o.at("precompiled_charsmap"), "not base64: %v", err)
	}
	n, err := precompiled.Parse(blob)
	if err != nil {
		return nil, formatErr(o.at("precompiled_charsmap"), "%v", err)
	}
	return precompiledNormalizer{n}, nil
}

func (p precompiledNormalizer) normalize(s string) string { return p.n.Normalize(s) }
