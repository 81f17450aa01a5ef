package eval

import (
	"context"
	"fmt"

	"github.com/transplant-dev/transplant/eval/forward"
	"github.com/transplant-dev/transplant/tokenizer"
)

// ScoreDir scores the model directory dir (config.json, weights in any
// layout package checkpoint reads, and its tokenizer) on text by the
// project's protocol (see BitsPerByte). Each chunk starts with the
// config's bos_token_id, or the tokenizer's BOS when the config has none.
func ScoreDir(ctx context.Context, dir string, text []byte, opts Options) (ModelScore, error) {
	return ScoreDirSplit(ctx, dir, text, opts, SplitOptions{})
}

// SplitOptions ask ScoreDirSplit to split a score against a baseline.
type SplitOptions struct {
	// Baseline is the vocabulary that says which tokens are new (see
	// NewSplitter); nil means no split.
	Baseline *tokenizer.Tokenizer
	// Worst is the number of costliest new tokens to list.
	Worst int
}

// ScoreDirSplit is ScoreDir that, given a baseline vocabulary, also splits
// the score by the model's new tokens (ModelScore.Split) and lists the
// costliest ones (ModelScore.WorstNew).
func ScoreDirSplit(ctx context.Context, dir string, text []byte, opts Options, split SplitOptions) (ModelScore, error) {
	m, err := forward.Load(dir)
	if err != nil {
		return ModelScore{}, fmt.Errorf("eval: %w", err)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		return ModelScore{}, fmt.Errorf("eval: model %s: %w", dir, err)
	}
	var splitter *Splitter
	if split.Baseline != nil {
		if splitter, err = NewSplitter(split.Baseline, tok); err != nil {
			return ModelScore{}, fmt.Errorf("eval: model %s: %w", dir, err)
		}
	}
	bos := m.Config().BOS
	if bos < 0 {
		bos = tok.Specials().BOS
	}
	ctxLen, stride, err := windowing(m, opts)
	if err != nil {
		return ModelScore{}, err
	}
	// A tokenizer may know more ids than the model has rows (Gemma 3's
	// image token, say): only ids the text actually encodes to must fit.
	outside := -1
	encode := func(chunks []string) [][]int {
		enc := tok.EncodeBatch(chunks, false)
		for _, ids := range enc {
			for _, id := range ids {
				if id >= m.VocabSize() && outside < 0 {
					outside = id
				}
			}
		}
		return enc
	}
	res, targets, err := bitsPerByte(ctx, m, text, encode, bos, opts, splitter != nil)
	if outside >= 0 {
		s, _ := tok.TokenString(outside)
		return ModelScore{}, fmt.Errorf("eval: model %s: the text encodes to token %q, id %d, but the model has only %d rows", dir, s, outside, m.VocabSize())
	}
	if err != nil {
		return ModelScore{}, fmt.Errorf("eval: model %s: %w", dir, err)
	}
	s := newModelScore(dir, res, ctxLen, stride)
	if splitter != nil {
		sp := splitter.Split(targets)
		s.Split = &sp
		s.WorstNew = splitter.Worst(targets, split.Worst)
	}
	return s, nil
}
