package tokenizer

import (
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// A Tokenizer encodes text to token ids and decodes ids to text exactly as
// the Hugging Face tokenizers library does with the same tokenizer.json.
// It is safe for concurrent use.
type Tokenizer struct {
	file  string
	model model
	norm  normalizer    // nil: none
	pre   preTokenizer  // nil: none
	post  postProcessor // nil: none
	dec   decoder       // nil: tokens joined with spaces
	added *addedVocab

	main, surface pipeline
	// surfaceSpace is the character a space is spelled as (▁) in
	// vocabularies that spell spaces, or 0.
	surfaceSpace rune

	surfaces []Surface
	specials Specials

	workspaces sync.Pool
}

// pipeline is the encoding path from text to ids, without post-processing.
// EncodeSurface runs a variant of the main one.
type pipeline struct {
	added    *addedVocab
	norm     normalizer
	pre      preTokenizer
	model    model
	validate bool // replace ill-formed UTF-8 first
}

// workspace is one goroutine's reusable memory.
type workspace struct {
	scratch
	segs, pieces, words []piece
	ids                 []int
	syms, ranks, newIDs []int32
	nodes               []node
	heap                []candidate
	paths               []bestPath
	bpeCache            map[string][]int32
	bpeRawCache         map[string][]int32
}

func (t *Tokenizer) workspace() *workspace {
	if ws, ok := t.workspaces.Get().(*workspace); ok {
		return ws
	}
	return &workspace{bpeCache: map[string][]int32{}, bpeRawCache: map[string][]int32{}}
}

// Encode returns the token ids of text. With addSpecialTokens the
// post-processor adds its special tokens (BOS, CLS/SEP, ...). Ill-formed
// UTF-8 is read as U+FFFD, one per maximal ill-formed subsequence.
func (t *Tokenizer) Encode(text string, addSpecialTokens bool) []int {
	ws := t.workspace()
	ids := t.encode(text, addSpecialTokens, ws)
	t.workspaces.Put(ws)
	return ids
}

// encode returns a new slice of exactly the right size; the ids are built
// in the workspace.
func (t *Tokenizer) encode(text string, addSpecialTokens bool, ws *workspace) []int {
	ws.ids = t.main.encode(ws.ids[:0], text, ws)
	ids := ws.ids
	if addSpecialTokens && t.post != nil {
		ids = t.post.process(ids)
	}
	return append([]int(nil), ids...)
}

// EncodeBatch encodes every text, on all cores.
func (t *Tokenizer) EncodeBatch(texts []string, addSpecialTokens bool) [][]int {
	out := make([][]int, len(texts))
	workers := min(runtime.GOMAXPROCS(0), len(texts))
	var next atomic.Int64
	const chunk = 16
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			ws := t.workspace()
			defer t.workspaces.Put(ws)
			for {
				lo := int(next.Add(chunk)) - chunk
				if lo >= len(texts) {
					return
				}
				for i := lo; i < min(lo+chunk, len(texts)); i++ {
					out[i] = t.encode(texts[i], addSpecialTokens, ws)
				}
			}
		})
	}
	wg.Wait()
	return out
}

func (pl *pipeline) encode(dst []int, text string, ws *workspace) []int {
	pl.eachPiece(text, ws, func(p piece) {
		if p.id >= 0 {
			dst = append(dst, p.id)
			return
		}
		dst = pl.model.tokenize(dst, p, ws)
	})
	return dst
}

// eachPiece runs the pipeline up to the model: it calls f, in text order,
// with every added token (id >= 0) and every word the model is to encode.
func (pl *pipeline) eachPiece(text string, ws *workspace, f func(p piece)) {
	if pl.validate {
		text = validUTF8String(text)
	}
	ws.segs = pl.added.split(ws.segs[:0], piece{text: text, id: -1, first: true}, pl.added.raw)
	pieces := ws.pieces[:0]
	for _, seg := range ws.segs {
		if seg.id < 0 && pl.norm != nil {
			if seg.first {
				seg.text, seg.first = normalizeFrom(pl.norm, seg.text)
			} else {
				seg.text = pl.norm.normalize(seg.text)
			}
			if seg.text == "" {
				continue
			}
		}
		if seg.id >= 0 {
			pieces = append(pieces, seg)
			continue
		}
		pieces = pl.added.split(pieces, seg, pl.added.norm)
	}
	ws.pieces = pieces
	for _, p := range pieces {
		if p.id >= 0 {
			f(p)
			continue
		}
		if p.text == "" {
			continue
		}
		if pl.pre == nil {
			f(p)
			continue
		}
		ws.words = pl.pre.preTokenize(ws.words[:0], p, &ws.scratch)
		for _, w := range ws.words {
			f(w)
		}
	}
}

func validUTF8String(s string) string {
	if isValidString(s) {
		return s
	}
	return validUTF8([]byte(s))
}

// Decode returns the text of ids. Ids outside the vocabulary are skipped;
// with skipSpecialTokens, so are special added tokens.
func (t *Tokenizer) Decode(ids []int, skipSpecialTokens bool) string {
	tokens := make([]string, 0, len(ids))
	for _, id := range ids {
		tok, ok := t.decodeString(id)
		if !ok || (skipSpecialTokens && t.added.special[tok]) {
			continue
		}
		tokens = append(tokens, tok)
	}
	if t.dec == nil {
		return strings.Join(tokens, " ")
	}
	return strings.Join(t.dec.decodeChain(tokens), "")
}

// decodeString is the string Decode starts from for one id: an added
// token's content (normalized, when it is matched normalized), else the
// model's token.
func (t *Tokenizer) decodeString(id int) (string, bool) {
	if tok, ok := t.added.byID[id]; ok {
		if n, ok := t.added.decodeAs[id]; ok {
			return n, true
		}
		return tok.Content, true
	}
	return t.model.idToToken(id)
}

// VocabSize is the size of the id space: the largest id plus one, over the
// model's vocabulary and the added tokens.
func (t *Tokenizer) VocabSize() int { return len(t.surfaces) }

// ModelType names the tokenization model as tokenizer.json does: "BPE",
// "WordPiece", "Unigram" or "WordLevel".
func (t *Tokenizer) ModelType() string {
	switch t.model.(type) {
	case *bpe:
		return "BPE"
	case *wordPiece:
		return "WordPiece"
	case *unigram:
		return "Unigram"
	case *wordLevel:
		return "WordLevel"
	}
	return ""
}

// TokenString returns the spelling of a token as the vocabulary writes it,
// e.g. "Ġhello", "▁hello", "<0x0A>" or "##ing".
func (t *Tokenizer) TokenString(id int) (string, bool) {
	if tok, ok := t.added.byID[id]; ok {
		return tok.Content, true
	}
	return t.model.idToToken(id)
}

// ID returns the id of a token spelling; added tokens come first.
func (t *Tokenizer) ID(token string) (int, bool) {
	if id, ok := t.added.ids[token]; ok {
		return id, true
	}
	return t.model.tokenToID(token)
}

// AddedTokens returns the added tokens, in file order.
func (t *Tokenizer) AddedTokens() []AddedToken {
	return append([]AddedToken(nil), t.added.tokens...)
}
