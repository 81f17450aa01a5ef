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
	// Against is the baseline's score of the same text, located
	// (ScoreDirTargets gives it): with it each part also holds what the
	// baseline spent on its bytes (Splitter.SplitAgainst).
	Against *Targets
	// Worst is the number of costliest new tokens to list.
	Worst int
}

// ScoreDirSplit is ScoreDir that, given a baseline vocabulary, also splits
// the score by the model's new tokens (ModelScore.Split) and lists the
// costliest ones (ModelScore.WorstNew).
func ScoreDirSplit(ctx context.Context, dir string, text []byte, opts Options, split SplitOptions) (ModelScore, error) {
	s, _, err := scoreDir(ctx, dir, text, opts, split, false)
	return s, err
}

// ScoreDirTargets is ScoreDirSplit that also returns the scored targets,
// located in the text (Targets.Locate): what SplitOptions.Against needs
// of a baseline.
func ScoreDirTargets(ctx context.Context, dir string, text []byte, opts Options, split SplitOptions) (ModelScore, Targets, error) {
	return scoreDir(ctx, dir, text, opts, split, true)
}

// scoreDir scores dir and keeps its targets when keep asks or a split needs
// them, located when keep asks or the split is against a baseline's.
func scoreDir(ctx context.Context, dir string, text []byte, opts Options, split SplitOptions, keep bool) (ModelScore, Targets, error) {
	m, err := forward.Load(dir)
	if err != nil {
		return ModelScore{}, Targets{}, fmt.Errorf("eval: %w", err)
	}
	tok, err := tokenizer.Load(dir)
	if err != nil {
		return ModelScore{}, Targets{}, fmt.Errorf("eval: model %s: %w", dir, err)
	}
	var splitter *Splitter
	if split.Baseline != nil {
		if splitter, err = NewSplitter(split.Baseline, tok); err != nil {
			return ModelScore{}, Targets{}, fmt.Errorf("eval: model %s: %w", dir, err)
		}
	}
	bos := m.Config().BOS
	if bos < 0 {
		bos = tok.Specials().BOS
	}
	ctxLen, stride, err := windowing(m, opts)
	if err != nil {
		return ModelScore{}, Targets{}, err
	}
	// A tokenizer may know more ids than the model has rows (Gemma 3's
	// image token, say): only ids the text actually encodes to must fit.
	outside := -1
	var encoded [][]int // kept for locating the targets
	encode := func(chunks []string) [][]int {
		enc := tok.EncodeBatch(chunks, false)
		encoded = enc
		for _, ids := range enc {
			for _, id := range ids {
				if id >= m.VocabSize() && outside < 0 {
					outside = id
				}
			}
		}
		return enc
	}
	located := keep || split.Against != nil
	res, targets, err := bitsPerByte(ctx, m, text, encode, bos, opts, located || splitter != nil)
	if outside >= 0 {
		s, _ := tok.TokenString(outside)
		return ModelScore{}, Targets{}, fmt.Errorf("eval: model %s: the text encodes to token %q, id %d, but the model has only %d rows", dir, s, outside, m.VocabSize())
	}
	if err != nil {
		return ModelScore{}, Targets{}, fmt.Errorf("eval: model %s: %w", dir, err)
	}
	if located {
		chunks, _ := chunksOf(text, opts)
		targets.Ends = ends(tok, chunks, encoded, bos)
	}
	s := newModelScore(dir, res, ctxLen, stride)
	if splitter != nil {
		var per []float64 // the baseline's bits, position by position
		if split.Against != nil {
			per = splitter.baselineBits(targets, *split.Against)
		}
		sp := splitter.splitWith(targets, per)
		s.Split = &sp
		s.WorstNew = splitter.worst(targets, per, split.Worst)
	}
	return s, targets, nil
}
