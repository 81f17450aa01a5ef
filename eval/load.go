package eval

import (
	"context"
	"errors"
	"fmt"

	"gonum.org/v1/gonum/blas/blas32"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/checkpoint"
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

// ReconstructionFiles name the inputs of LoadReconstruction.
type ReconstructionFiles struct {
	// Base is the base model directory, with its tokenizer.
	Base string
	// Tokenizer is the new tokenizer (a tokenizer.json or a directory
	// holding one). Empty means the donor's, or without a donor the base's
	// own, aligned with itself.
	Tokenizer string
	// Donor is an optional model directory that uses the new tokenizer.
	Donor string
}

// LoadReconstruction reads the base model's input embedding and, unless
// tied, its output head (and the donor's matching tables) into memory,
// loads both tokenizers and aligns them.
func LoadReconstruction(f ReconstructionFiles) (*Reconstruction, error) {
	base, err := checkpoint.Open(f.Base)
	if err != nil {
		return nil, fmt.Errorf("eval: base: %w", err)
	}
	defer base.Close()
	r := &Reconstruction{}
	if r.Old, err = tokenizer.Load(base.Dir()); err != nil {
		return nil, fmt.Errorf("eval: base %s: %w", f.Base, err)
	}
	var donor *checkpoint.Model
	if f.Donor != "" {
		if donor, err = checkpoint.Open(f.Donor); err != nil {
			return nil, fmt.Errorf("eval: donor: %w", err)
		}
		defer donor.Close()
	}
	if r.New, err = newTokenizer(f, r.Old, donor); err != nil {
		return nil, err
	}
	emb, ok := base.Embedding()
	if !ok {
		return nil, fmt.Errorf("eval: base %s: no input embedding found (architecture %q)", f.Base, base.Config().ModelType())
	}
	if r.Alignment, err = align.Align(align.FromTokenizer(r.Old), align.FromTokenizer(r.New), align.Options{OldRows: emb.Shape[0]}); err != nil {
		return nil, fmt.Errorf("eval: %w", err)
	}
	if r.Tables, err = loadTables(base, donor, r.Old.VocabSize()); err != nil {
		return nil, err
	}
	return r, nil
}

// newTokenizer loads the new tokenizer the files name, and checks that a
// donor uses it.
func newTokenizer(f ReconstructionFiles, old *tokenizer.Tokenizer, donor *checkpoint.Model) (*tokenizer.Tokenizer, error) {
	path := f.Tokenizer
	if path == "" && donor == nil {
		return old, nil
	}
	if path == "" {
		path = donor.Dir()
	}
	tok, err := tokenizer.Load(path)
	if err != nil {
		return nil, fmt.Errorf("eval: new tokenizer: %w", err)
	}
	if donor != nil && path != donor.Dir() {
		dt, err := tokenizer.Load(donor.Dir())
		if err != nil {
			return nil, fmt.Errorf("eval: donor %s: %w", f.Donor, err)
		}
		if err := sameTokens(dt, tok); err != nil {
			return nil, fmt.Errorf("eval: donor %s does not use the new tokenizer %s: %w", f.Donor, path, err)
		}
	}
	return tok, nil
}

func sameTokens(a, b *tokenizer.Tokenizer) error {
	if a.VocabSize() != b.VocabSize() {
		return fmt.Errorf("%d ids against %d", a.VocabSize(), b.VocabSize())
	}
	for id := range a.VocabSize() {
		sa, _ := a.TokenString(id)
		sb, _ := b.TokenString(id)
		if sa != sb {
			return fmt.Errorf("id %d is %q against %q", id, sa, sb)
		}
	}
	return nil
}

// loadTables reads the base tables (rows past the old vocabulary, padding,
// left out) and the donor's matching ones: its embedding for the input
// side, its head (or its embedding when tied) for the output side.
func loadTables(base, donor *checkpoint.Model, vocab int) ([]ReconstructionTable, error) {
	emb, _ := base.Embedding()
	tables := []ReconstructionTable{{Name: "input embedding", Tensor: emb.Name}}
	if !base.Tied() {
		head, ok := base.Head()
		if !ok {
			return nil, fmt.Errorf("eval: base %s: untied model without an output head tensor", base.Dir())
		}
		tables = append(tables, ReconstructionTable{Name: "output head", Tensor: head.Name, Output: true})
	}
	for i := range tables {
		t := &tables[i]
		var err error
		if t.Base, err = base.Table(t.Tensor); err != nil {
			return nil, fmt.Errorf("eval: %w", err)
		}
		t.Base.Rows = min(t.Base.Rows, vocab)
		if donor == nil {
			continue
		}
		if t.Donor, err = donorTable(donor, t.Output); err != nil {
			return nil, err
		}
	}
	return tables, nil
}

func donorTable(donor *checkpoint.Model, output bool) (blas32.General, error) {
	d, ok := donor.Embedding()
	if !ok {
		return blas32.General{}, fmt.Errorf("eval: donor %s: no input embedding found", donor.Dir())
	}
	if output && !donor.Tied() {
		if h, ok := donor.Head(); ok {
			d = h
		}
	}
	t, err := donor.Table(d.Name)
	if err != nil {
		return blas32.General{}, fmt.Errorf("eval: donor: %w", err)
	}
	if t.Rows == 0 {
		return blas32.General{}, errors.New("eval: donor: empty table")
	}
	return t, nil
}
