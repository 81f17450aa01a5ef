package eval

import (
	"context"
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/tokenizer"
)

// Efficiency compares how an old and a new tokenizer cut one text.
type Efficiency struct {
	// Bytes is the text's length in UTF-8 bytes; Words counts its runs of
	// non-space characters (space as in unicode.IsSpace), the same for
	// both tokenizers.
	Bytes int                 `json:"bytes"`
	Words int                 `json:"words"`
	Old   TokenizerEfficiency `json:"old"`
	New   TokenizerEfficiency `json:"new"`
}

// TokenizerEfficiency is how one tokenizer cuts the text.
type TokenizerEfficiency struct {
	Tokens int `json:"tokens"`
	// ByteFallback counts "<0xNN>" tokens, Unknown unk tokens: text the
	// vocabulary has no piece for.
	ByteFallback int `json:"byte_fallback_tokens"`
	Unknown      int `json:"unknown_tokens"`
	// NotShared counts the tokens the other vocabulary lacks (for the new
	// tokenizer: the tokens a transplant must build; for the old: those it
	// drops), and NotSharedBytes the bytes they stand for.
	NotShared      int `json:"not_shared_tokens"`
	NotSharedBytes int `json:"not_shared_bytes"`
	// SurfaceBytes sums the bytes every token but unk stands for: the
	// text's length, give or take the prefix spaces some tokenizers add
	// and the text unk tokens replace.
	SurfaceBytes int `json:"surface_bytes"`

	BytesPerToken        float64 `json:"bytes_per_token"`
	TokensPerWord        float64 `json:"tokens_per_word"`
	ByteFallbackFraction float64 `json:"byte_fallback_fraction"`
	// NotSharedShare is NotSharedBytes / SurfaceBytes: the share of the
	// text a transplant's new rows (or the old rows it drops) carry.
	NotSharedShare float64 `json:"not_shared_share"`
}

// EfficiencyOptions tune CompareEfficiency.
type EfficiencyOptions struct {
	// ChunkBytes is the size of the pieces the text is encoded in, cut as
	// by Chunks; 0 means DefaultChunkBytes, as bits-per-byte scoring does.
	ChunkBytes int
	// Progress, when set, is called with the bytes encoded so far and the
	// total, after each batch of chunks.
	Progress func(done, total int)
}

// CompareEfficiency encodes text with both tokenizers (no special tokens,
// on all cores) and counts what each makes of it. Which tokens are shared
// comes from aligning the two vocabularies on bytes, as a transplant does.
func CompareEfficiency(ctx context.Context, text []byte, old, new *tokenizer.Tokenizer, opts EfficiencyOptions) (*Efficiency, error) {
	a, err := align.Align(align.FromTokenizer(old), align.FromTokenizer(new), align.Options{PadToMultipleOf: 1})
	if err != nil {
		return nil, fmt.Errorf("eval: efficiency: %w", err)
	}
	newOnly := func(id int) bool { return id < len(a.Kind) && !a.Kind[id].Copied() }
	kept := make([]bool, old.VocabSize())
	for id, k := range a.Kind {
		if k.Copied() && a.Source[id] < len(kept) {
			kept[a.Source[id]] = true
		}
	}
	oldOnly := func(id int) bool { return id >= len(kept) || !kept[id] }

	e := &Efficiency{Bytes: len(text), Words: countWords(text)}
	chunks := Chunks(text, orDefault(opts.ChunkBytes, DefaultChunkBytes))
	total := 2 * len(text)
	progress := func(done int) {
		if opts.Progress != nil {
			opts.Progress(done, total)
		}
	}
	if e.Old, err = measure(ctx, chunks, old, oldOnly, progress); err != nil {
		return nil, err
	}
	if e.New, err = measure(ctx, chunks, new, newOnly, func(d int) { progress(len(text) + d) }); err != nil {
		return nil, err
	}
	e.Old.finish(e)
	e.New.finish(e)
	return e, nil
}

// measure encodes the chunks a batch at a time, so that a long text needs
// little memory and cancellation is prompt.
func measure(ctx context.Context, chunks [][]byte, tok *tokenizer.Tokenizer, notShared func(int) bool, progress func(done int)) (TokenizerEfficiency, error) {
	const batch = 64
	var te TokenizerEfficiency
	unk := tok.Specials().UNK
	done := 0
	for lo := 0; lo < len(chunks); lo += batch {
		if err := ctx.Err(); err != nil {
			return te, fmt.Errorf("eval: efficiency: %w", err)
		}
		strs := make([]string, 0, batch)
		for _, c := range chunks[lo:min(lo+batch, len(chunks))] {
			strs = append(strs, string(c))
			done += len(c)
		}
		for _, ids := range tok.EncodeBatch(strs, false) {
			for _, id := range ids {
				s, n := tok.Surface(id), tokenBytes(tok, id)
				te.Tokens++
				te.SurfaceBytes += n
				if s.ByteFallback {
					te.ByteFallback++
				}
				if id == unk {
					te.Unknown++
				}
				if notShared(id) {
					te.NotShared++
					te.NotSharedBytes += n
				}
			}
		}
		progress(done)
	}
	return te, nil
}

func (te *TokenizerEfficiency) finish(e *Efficiency) {
	te.BytesPerToken = ratio(e.Bytes, te.Tokens)
	te.TokensPerWord = ratio(te.Tokens, e.Words)
	te.ByteFallbackFraction = ratio(te.ByteFallback, te.Tokens)
	te.NotSharedShare = ratio(te.NotSharedBytes, te.SurfaceBytes)
}

// ratio is a/b, or 0 when b is.
func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// countWords counts maximal runs of non-space characters.
func countWords(text []byte) int {
	n := 0
	inWord := false
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		i += size
		space := unicode.IsSpace(r)
		if !space && !inWord {
			n++
		}
		inWord = !space
	}
	return n
}
