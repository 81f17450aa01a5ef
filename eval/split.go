package eval

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/tokenizer"
)

// A Split divides a model's bits over a text by where a transplant had to
// build rows: every scored target falls in exactly one part.
type Split struct {
	// New holds the targets the baseline's vocabulary lacks.
	New Part `json:"new"`
	// AfterNew holds shared targets whose input, the token right before
	// them, is new.
	AfterNew Part `json:"after_new"`
	// Shared holds the other targets.
	Shared Part `json:"shared"`
	// Baseline says whether the parts hold the baseline's bits on their
	// bytes (Part.BaselineBits): when the baseline's score of the same
	// text was given and both tokenizers spell the text (Targets.Locate).
	// JSON tells it by the parts' baseline keys.
	Baseline bool `json:"-"`
}

// Part is one part of a Split.
type Part struct {
	Tokens int `json:"tokens"`
	// Bytes counts the bytes the part's tokens stand for: those of their
	// surface (tokenizer.Surface), none for a special token, since an
	// unknown token stands for text of unknown length, not for its
	// spelling. Over all the targets of a text they add up to the text's
	// length, plus the space a SentencePiece tokenizer puts before each
	// chunk, minus the spaces a WordPiece tokenizer drops, the text
	// unknown tokens replace, and the first token of the stream when no
	// BOS precedes it (nothing predicts it, so it is never scored).
	Bytes int     `json:"bytes"`
	Bits  float64 `json:"bits"`
	// ByteShare is Bytes over the three parts' bytes.
	ByteShare float64 `json:"byte_share"`
	// BitsPerByte is Bits over Bytes, 0 when the part has no bytes.
	BitsPerByte float64 `json:"bits_per_byte"`
	// BaselineBits is what the baseline spent on the same bytes of the
	// text, when Split.Baseline (see Splitter.SplitAgainst);
	// BaselineBitsPerByte is it over Bytes.
	BaselineBits        float64 `json:"baseline_bits,omitempty"`
	BaselineBitsPerByte float64 `json:"baseline_bits_per_byte,omitempty"`
}

// Parts returns the three parts in the order tables show them.
func (sp *Split) Parts() [3]*Part { return [3]*Part{&sp.New, &sp.AfterNew, &sp.Shared} }

// Bytes is the bytes of the three parts together: those of every scored
// target.
func (sp *Split) Bytes() int { return sp.New.Bytes + sp.AfterNew.Bytes + sp.Shared.Bytes }

// A TokenCost is what one new token costs a model over the text.
type TokenCost struct {
	ID int `json:"id"`
	// Token is the token's spelling in its vocabulary ("Ġhello").
	Token       string  `json:"token"`
	Occurrences int     `json:"occurrences"`
	Bits        float64 `json:"bits"`
	// BitsPerOccurrence is Bits over Occurrences; BitsPerByte is Bits over
	// the bytes of all occurrences, 0 for a token of no bytes.
	BitsPerOccurrence float64 `json:"bits_per_occurrence"`
	BitsPerByte       float64 `json:"bits_per_byte"`
	// BaselineBits is what the baseline spent on the same bytes, when the
	// list was made against its score (Splitter.WorstAgainst), and
	// BaselineBitsPerByte it over the bytes.
	BaselineBits        float64 `json:"baseline_bits,omitempty"`
	BaselineBitsPerByte float64 `json:"baseline_bits_per_byte,omitempty"`
}

// A Splitter tells the tokens of a vocabulary the baseline's vocabulary
// shares from the new ones, and splits scores by them.
type Splitter struct {
	tok   *tokenizer.Tokenizer
	isNew []bool // by id of tok
}

// NewSplitter aligns tok, the vocabulary of the models whose scores are to
// be split, with the baseline's as a transplant does: tokens matched on
// their bytes, by role or by spelling are shared (align.Kind.Copied), the
// others (align.New, align.NewSpecial) are new.
func NewSplitter(baseline, tok *tokenizer.Tokenizer) (*Splitter, error) {
	a, err := align.Align(align.FromTokenizer(baseline), align.FromTokenizer(tok), align.Options{PadToMultipleOf: 1})
	if err != nil {
		return nil, fmt.Errorf("eval: split: %w", err)
	}
	return &Splitter{tok: tok, isNew: newIDs(a, tok.VocabSize())}, nil
}

// newIDs marks the new ids of an alignment, padding included.
func newIDs(a *align.Alignment, vocab int) []bool {
	isNew := make([]bool, vocab)
	for id := range isNew {
		isNew[id] = id >= len(a.Kind) || !a.Kind[id].Copied()
	}
	return isNew
}

// IsNew reports whether the baseline's vocabulary lacks id; ids outside the
// vocabulary are new.
func (s *Splitter) IsNew(id int) bool { return id < 0 || id >= len(s.isNew) || s.isNew[id] }

// tokenBytes is the number of bytes a token stands for, as Part.Bytes
// counts them.
func tokenBytes(tok *tokenizer.Tokenizer, id int) int {
	s := tok.Surface(id)
	if s.Special {
		return 0
	}
	return len(s.Bytes)
}

// Split divides t's bits into the three parts. The parts' Bits add up to
// the NLL of every scored target in bits, their Bytes to the bytes of
// those targets (see Part.Bytes).
func (s *Splitter) Split(t Targets) Split {
	var sp Split
	for i := range t.IDs {
		p := s.partOf(&sp, t, i)
		if p == nil {
			continue
		}
		p.Tokens++
		p.Bytes += tokenBytes(s.tok, t.IDs[i])
		p.Bits += t.NLL[i] / math.Ln2
	}
	total := sp.Bytes()
	for _, p := range sp.Parts() {
		p.ByteShare = ratio(p.Bytes, total)
		p.BitsPerByte = perByte(p.Bits, p.Bytes)
	}
	return sp
}

// partOf is the part of sp position i of t falls in, nil when it is not
// scored.
func (s *Splitter) partOf(sp *Split, t Targets, i int) *Part {
	switch {
	case i == 0 || !t.Scored[i]:
		return nil
	case s.IsNew(t.IDs[i]):
		return &sp.New
	case s.IsNew(t.IDs[i-1]):
		return &sp.AfterNew
	}
	return &sp.Shared
}

// SplitAgainst is Split that also gives each part the bits the baseline
// spent on the same bytes, from base, the baseline's score of the same
// text: when both t and base are located (Targets.Locate), it sets
// Split.Baseline and each Part's BaselineBits (see baselineBits for how
// a stretch the two tokenizers cut differently is shared out).
func (s *Splitter) SplitAgainst(t, base Targets) Split {
	return s.splitWith(t, s.baselineBits(t, base))
}

// splitWith is Split with the baseline's bits per position of t, when
// known (baselineBits).
func (s *Splitter) splitWith(t Targets, per []float64) Split {
	sp := s.Split(t)
	if per == nil {
		return sp
	}
	for i, bits := range per {
		if p := s.partOf(&sp, t, i); p != nil {
			p.BaselineBits += bits
		}
	}
	for _, p := range sp.Parts() {
		p.BaselineBitsPerByte = perByte(p.BaselineBits, p.Bytes)
	}
	sp.Baseline = true
	return sp
}

// Worst returns the n new tokens that cost the most bits in total over t,
// costliest first (ties by id).
func (s *Splitter) Worst(t Targets, n int) []TokenCost { return s.worst(t, nil, n) }

// WorstAgainst is Worst that also gives each token the bits the baseline
// spent on the same bytes (TokenCost.BaselineBits), as SplitAgainst gives
// them to the parts.
func (s *Splitter) WorstAgainst(t, base Targets, n int) []TokenCost {
	return s.worst(t, s.baselineBits(t, base), n)
}

// worst is Worst, with the baseline's bits per position when known.
func (s *Splitter) worst(t Targets, baseline []float64, n int) []TokenCost {
	byID := map[int]*TokenCost{}
	for i := 1; i < len(t.IDs); i++ {
		id := t.IDs[i]
		if !t.Scored[i] || !s.IsNew(id) {
			continue
		}
		c := byID[id]
		if c == nil {
			c = &TokenCost{ID: id}
			byID[id] = c
		}
		c.Occurrences++
		c.Bits += t.NLL[i] / math.Ln2
		if baseline != nil {
			c.BaselineBits += baseline[i]
		}
	}
	costs := make([]TokenCost, 0, len(byID))
	for _, c := range byID {
		costs = append(costs, *c)
	}
	slices.SortFunc(costs, func(a, b TokenCost) int {
		if c := cmp.Compare(b.Bits, a.Bits); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	costs = costs[:min(max(n, 0), len(costs))]
	for i := range costs {
		c := &costs[i]
		c.Token, _ = s.tok.TokenString(c.ID)
		c.BitsPerOccurrence = c.Bits / float64(c.Occurrences)
		c.BitsPerByte = perByte(c.Bits, c.Occurrences*tokenBytes(s.tok, c.ID))
		c.BaselineBitsPerByte = perByte(c.BaselineBits, c.Occurrences*tokenBytes(s.tok, c.ID))
	}
	return slices.Clip(costs)
}

// perByte is bits over bytes, or 0 when there are no bytes (JSON has no
// infinity).
func perByte(bits float64, bytes int) float64 {
	if bytes == 0 {
		return 0
	}
	return bits / float64(bytes)
}
