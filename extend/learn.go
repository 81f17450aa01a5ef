package extend

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/transplant-dev/transplant/tokenizer"
)

// DefaultMaxWords is the default bound on the distinct words Learn keeps
// while counting a corpus. With it, learning 10,000 tokens on 100 MB of
// code and prose peaked at about 390 MiB (bench/extend); memory grows
// roughly in proportion to the words kept.
const DefaultMaxWords = 1 << 20

// Options says how many tokens Learn looks for and how.
type Options struct {
	// Add is the number of new tokens wanted.
	Add int
	// MinFrequency is the fewest occurrences on the corpus a candidate
	// needs; 0 means 2.
	MinFrequency int
	// FirstID is the lowest id a new token may take: the number of rows of
	// the model's embedding when the base padded its tables past the
	// tokenizer. New ids start at the larger of FirstID and the base's
	// VocabSize, so they follow every existing id.
	FirstID int
	// MixPunctuation lets new tokens join letters and punctuation or
	// symbols even when no token of the base does (SentencePiece's split by
	// script), so that "▁him," may be learned. Such tokens compress
	// text such as dictionaries much further, but the model reads them
	// badly: extending the shared model A with 2,000 tokens, 10.7% fewer
	// tokens on held-out text at 1.051 times A's bits per byte, against
	// 4.7% fewer at 1.008 without them (both calibrated on the corpus). Digits are kept apart from other
	// characters whenever the base keeps them apart (Llama 2, Mistral),
	// whatever this says.
	MixPunctuation bool
	// NoLineBreaks keeps line breaks out of new tokens when the base
	// spells them only in bytes (Llama 2, Mistral). Otherwise new tokens
	// may be runs of line breaks ("\n\n"), though a line break joined to
	// anything else stays forbidden; where a BPE base has no token for
	// "\n" itself, it is learned first, as the merges of line breaks need
	// it (a Unigram base gains no piece made of byte tokens). Extending the
	// shared model A with 2,000 tokens: 5.7% fewer tokens on held-out text
	// at 1.009 times A's bits per byte, against 4.7% at 1.006 without them;
	// on Go doc comments, licenses and Python docs 2.3%, 1.7% and 2.8%
	// fewer at 1.0055, 1.0023 and 1.0074 against 0.1%, 0.3% and 0.2% at
	// 1.0017, 1.0024 and 1.0027.
	NoLineBreaks bool
	// MaxWords bounds the distinct words kept while counting, and with it
	// the memory Learn uses; 0 means DefaultMaxWords. When the count
	// passes the bound the rarest words are forgotten (see Stats.Pruned).
	MaxWords int
	// Progress, when set, is called as the work advances.
	Progress func(Progress)
}

func (o Options) minFrequency() int64 {
	if o.MinFrequency <= 0 {
		return 2
	}
	return int64(o.MinFrequency)
}

func (o Options) maxWords() int {
	if o.MaxWords <= 0 {
		return DefaultMaxWords
	}
	return o.MaxWords
}

// A Stage is a phase of Learn.
type Stage int

const (
	// Counting reads the corpus; Done counts its bytes, Total is 0.
	Counting Stage = iota
	// Learning chooses the tokens; Done counts those chosen out of Total.
	Learning
)

func (s Stage) String() string {
	switch s {
	case Counting:
		return "counting"
	case Learning:
		return "learning"
	}
	return fmt.Sprintf("Stage(%d)", int(s))
}

// Progress reports how far Learn has come.
type Progress struct {
	Stage       Stage
	Done, Total int64
}

// A Token is a new token of an Extension.
type Token struct {
	ID int
	// Spelling is the token as the vocabulary writes it: "Ġhello",
	// "▁hello", "hello".
	Spelling string
	// Bytes is the text the token stands for (its tokenizer.Surface).
	Bytes []byte
	// Pieces are the base tokenizer's ids for these bytes where the token
	// was learned: the old segmentation the new token replaces.
	Pieces []int
	// Merge is the pair of tokens the new token joins: for BPE the merge
	// that makes it, for Unigram the two pieces it was learned from. A new
	// character of a byte-fallback vocabulary, and a WordPiece word, have
	// none.
	Merge [2]string
	// Score is a Unigram piece's score (log probability).
	Score float64
	// Frequency is how often the token's text stood in the corpus's
	// segmentation where it was chosen, and Saved the tokens it saved
	// there, both as estimated when it was chosen.
	Frequency, Saved int64
}

// Stats describes the corpus and what the extension does to it.
type Stats struct {
	Bytes int64 // corpus bytes read
	// Words counts the model's inputs: pre-tokenized words, or, for a
	// tokenizer without a pre-tokenizer, the stretches of text between
	// added tokens.
	Words int64
	// DistinctWords is the number of distinct words learned from.
	DistinctWords int
	// Pruned is the largest count of the words forgotten to respect
	// Options.MaxWords (0: none was): a word seen that often or less by
	// the time the table filled may be missing.
	Pruned int64
	// Candidates is the number of candidates that met MinFrequency, for
	// the families that rank them all at once (WordPiece), or -1.
	Candidates int
	// TokensBefore is the base tokenizer's token count on the corpus, read
	// chunk by chunk. TokensAfter is the extended tokenizer's: exact on the
	// words learned from, forgotten words counted as before.
	TokensBefore, TokensAfter int64
}

// BytesPerToken returns the corpus bytes per token before and after.
func (s Stats) BytesPerToken() (before, after float64) {
	if s.TokensBefore > 0 {
		before = float64(s.Bytes) / float64(s.TokensBefore)
	}
	if s.TokensAfter > 0 {
		after = float64(s.Bytes) / float64(s.TokensAfter)
	}
	return before, after
}

// An Extension is the new tokens learned for a base tokenizer, and what it
// takes to write them.
type Extension struct {
	// Tokens are the new tokens in id order, which is the order they were
	// chosen in; their ids are consecutive from FirstID.
	Tokens []Token
	// Merges are the new BPE merges in rank order, after every old one:
	// each token's own merge, and further merges that make an already new
	// token from other pieces.
	Merges [][2]string
	// FirstID is the id of the first new token. Ids from the base's
	// VocabSize up to it, if any, are unused: no token has them (see
	// Files).
	FirstID int
	Stats   Stats
	// Warning is nil, or an error wrapping ErrFewCandidates when the
	// corpus held fewer candidates than Options.Add.
	Warning error

	base *Base
}

// Learn counts the words of corpus as the base tokenizer cuts them and
// chooses up to opts.Add new tokens that save the most tokens on it; see
// the package documentation for the rule of each model family. The corpus
// is read once, as a stream, and must be UTF-8 (else a *CorpusError).
func Learn(ctx context.Context, base *Base, corpus io.Reader, opts Options) (*Extension, error) {
	if opts.Add < 0 {
		return nil, fmt.Errorf("extend: %d new tokens asked for", opts.Add)
	}
	ext := &Extension{base: base, FirstID: max(opts.FirstID, base.tok.VocabSize())}
	if err := base.checkFirstID(ext.FirstID); err != nil {
		return nil, err
	}
	var l learner
	switch base.model.family {
	case "BPE":
		l = newBPELearner(base, ext.FirstID, opts)
	case "Unigram":
		l = newUnigramLearner(base, ext.FirstID, opts)
	case "WordPiece":
		l = newWordPieceLearner(base)
	default:
		return nil, fmt.Errorf("extend: %w: %s", ErrUnsupportedModel, familyName(base.model.family))
	}
	counts, err := countCorpus(ctx, base.tok, corpus, l.key, opts)
	if err != nil {
		return nil, err
	}
	ext.Stats = counts.stats
	progress(opts, Learning, 0, int64(opts.Add))
	if err := l.learn(ctx, counts, opts, ext); err != nil {
		return nil, err
	}
	if len(ext.Tokens) < opts.Add {
		ext.Warning = fmt.Errorf("extend: %w: %d of %d found with min frequency %d", ErrFewCandidates, len(ext.Tokens), opts.Add, opts.minFrequency())
	}
	return ext, nil
}

// A learner is the rule of one model family.
type learner interface {
	// key appends to dst the keys under which a word, with the ids the
	// base gives it, is counted.
	key(dst [][]byte, word []byte, ids []int) [][]byte
	// learn chooses the tokens, filling ext.Tokens, ext.Merges and
	// ext.Stats.TokensAfter.
	learn(ctx context.Context, counts *wordCounts, opts Options, ext *Extension) error
}

// spaceMark returns the character a SentencePiece-style vocabulary writes
// spaces as (▁), or "" when the vocabulary has no such token.
func spaceMark(tok *tokenizer.Tokenizer) string {
	const mark = "▁"
	id, ok := tok.ID(mark)
	if !ok {
		return ""
	}
	if s := tok.Surface(id); string(s.Bytes) != " " || s.Special {
		return ""
	}
	return mark
}

// markOnlyFirst reports whether s holds the space mark nowhere but at its
// start, the rule SentencePiece keeps its pieces to.
func markOnlyFirst(s, mark string) bool {
	if mark == "" {
		return true
	}
	if len(s) > 0 {
		_, w := utf8.DecodeRuneInString(s)
		s = s[w:]
	}
	return !strings.Contains(s, mark)
}

func progress(opts Options, stage Stage, done, total int64) {
	if opts.Progress != nil {
		opts.Progress(Progress{Stage: stage, Done: done, Total: total})
	}
}

// A style is what the base's own tokens never do, which new tokens must not
// do either: a vocabulary trained to keep digits apart (Llama 2,
// Mistral), or letters apart from punctuation (SentencePiece's split by
// Unicode script, unless Options.MixPunctuation), should not gain
// "2024" or "▁him,"; one that spells a line break only in bytes (Llama 2
// and Mistral spell "\n" so) should not gain ".\n" or, with
// Options.NoLineBreaks, "\n\n". The model reads such tokens badly:
// extending the shared model A with 2,000 tokens learned on its
// calibration text, tokens with line breaks cut 8.9% of the held-out
// text's tokens instead of 4.7% but at 1.038 times A's bits per byte
// instead of 1.008, runs of line breaks alone 5.7% at 1.015 (1.009 and
// 1.006 once calibration took back the probability the base gives what the
// new tokens join and moved their input rows to where the base stood
// after their pieces: see transplant.CalibrationOptions.KeepShared).
type style struct {
	digitsAlone  bool   // no token has a digit and another character
	noMixing     bool   // no token has a letter and a punctuation mark or symbol
	unseenBreaks string // the line breaks, of \n and \r, no token has
	breaksAlone  bool   // but a token may be a run of line breaks
}

// charClass sorts characters for styles.
type charClass uint8

const (
	neutral charClass = iota // spaces and what is not a whole character
	letter                   // letters and marks
	digit                    // decimal digits
	other                    // punctuation, symbols, other numbers, controls
)

func classOf(r rune) charClass {
	switch {
	case r == utf8.RuneError || unicode.IsSpace(r):
		return neutral
	case unicode.IsLetter(r) || unicode.IsMark(r):
		return letter
	case unicode.IsDigit(r):
		return digit
	}
	return other
}

// classes returns which classes the text holds and how many characters.
func classes(b []byte) (has [4]bool, runes int) {
	for len(b) > 0 {
		r, w := utf8.DecodeRune(b)
		has[classOf(r)] = true
		runes++
		b = b[w:]
	}
	return has, runes
}

// inferStyle reads the style off the base's ordinary tokens.
func inferStyle(tok *tokenizer.Tokenizer, opts Options) style {
	st := style{digitsAlone: true, noMixing: !opts.MixPunctuation, unseenBreaks: "\n\r", breaksAlone: !opts.NoLineBreaks}
	for id := range tok.VocabSize() {
		s := tok.Surface(id)
		if s.Special || s.Unused || s.ByteFallback {
			continue
		}
		has, runes := classes(s.Bytes)
		if has[digit] && runes > 1 {
			st.digitsAlone = false
		}
		if has[letter] && has[other] {
			st.noMixing = false
		}
		st.unseenBreaks = strings.Map(func(r rune) rune {
			if bytes.ContainsRune(s.Bytes, r) {
				return -1
			}
			return r
		}, st.unseenBreaks)
	}
	return st
}

// onlyBreaks reports whether b is a run of line breaks.
func onlyBreaks(b []byte) bool {
	return len(b) > 0 && len(bytes.Trim(b, "\n\r")) == 0
}

// allows reports whether a token standing for b keeps to the style.
func (st style) allows(b []byte) bool {
	has, runes := classes(b)
	if st.digitsAlone && has[digit] && runes > 1 {
		return false
	}
	if bytes.ContainsAny(b, st.unseenBreaks) && !(st.breaksAlone && onlyBreaks(b)) {
		return false
	}
	return !(st.noMixing && has[letter] && has[other])
}
