package tokenizer

import (
	"maps"
	"slices"
	"strings"
)

// EncodeSurfaceExcluding is EncodeSurface with one token taken out of the
// vocabulary: the cut the tokenizer would make of b if id exclude did not
// exist. It never returns exclude.
//
// This is how a token the vocabulary has can be treated as new: evaluating
// an initializer on tokens whose rows are known needs their decomposition
// into other tokens, and EncodeSurface of a token's own bytes usually
// returns the token itself. Per model:
//
//   - BPE skips every merge whose result is exclude, so a word that would
//     end as exclude ends as the two pieces of its last merge, merged
//     further by any other rule that applies; an excluded single character
//     becomes byte-fallback tokens, or unk, or is dropped, as an unknown
//     character would be.
//   - WordPiece takes the longest vocabulary match other than exclude.
//   - Unigram finds the best segmentation without exclude.
//   - WordLevel gives unk for the word exclude stands for.
//
// An ordinary added token is excluded from added-token matching too.
func (t *Tokenizer) EncodeSurfaceExcluding(b []byte, exclude int) []int {
	s := string(b)
	if t.surfaceSpace != 0 {
		s = strings.ReplaceAll(s, " ", string(t.surfaceSpace))
	}
	pl := t.surface
	pl.model = excluding{model: t.model, id: exclude}
	if _, ok := t.added.byID[exclude]; ok {
		pl.added = t.added.without(exclude).forSurface()
	}
	ws := t.workspace()
	ws.ids = pl.encode(ws.ids[:0], s, ws)
	ids := slices.Clone(ws.ids)
	t.workspaces.Put(ws)
	return ids
}

// without returns a copy of av that lacks the added token id.
func (av *addedVocab) without(id int) *addedVocab {
	c := *av
	c.byID = maps.Clone(av.byID)
	delete(c.byID, id)
	return &c
}

// excluding is a model with one id taken out. It bypasses the BPE word
// cache, which holds the cuts of the full vocabulary.
type excluding struct {
	model
	id int
}

func (e excluding) tokenize(dst []int, p piece, ws *workspace) []int {
	switch m := e.model.(type) {
	case *bpe:
		return m.encodeWordExcluding(dst, p, ws, int32(e.id))
	case *wordPiece:
		return m.tokenizeExcluding(dst, p, ws, e.id)
	case *unigram:
		return m.tokenizeExcluding(dst, p, ws, e.id)
	case *wordLevel:
		if id, ok := m.ids[p.text]; ok && id != e.id {
			return append(dst, id)
		}
		return appendUnkExcept(dst, m.unk, e.id)
	}
	// A model type without its own rule above: its ordinary cut, less ex.
	n := len(dst)
	dst = e.model.tokenize(dst, p, ws)
	return append(dst[:n], slices.DeleteFunc(dst[n:], func(id int) bool { return id == e.id })...)
}

// appendUnkExcept appends unk unless there is none or it is the excluded id.
func appendUnkExcept(dst []int, unk, exclude int) []int {
	if unk >= 0 && unk != exclude {
		dst = append(dst, unk)
	}
	return dst
}

// encodeWordExcluding is encodeWord with the merges that make ex skipped.
func (m *bpe) encodeWordExcluding(dst []int, p piece, ws *workspace, ex int32) []int {
	if p.text == "" {
		return dst
	}
	if p.raw && !m.byteLevel {
		ws.text = spellBytes(ws.text[:0], p.text)
		p = piece{text: string(ws.text)}
	}
	if m.ignoreMerges {
		id := int32(-1)
		if p.raw {
			if i, ok := m.rawVocab[p.text]; ok {
				id = i
			}
		} else if i, ok := m.ids[p.text]; ok {
			id = int32(i)
		}
		if id >= 0 && id != ex {
			return append(dst, int(id))
		}
	}
	var syms []int32
	if p.raw {
		syms = ws.syms[:0]
		for i := 0; i < len(p.text); i++ {
			syms = append(syms, m.byteIDs[p.text[i]])
		}
	} else {
		syms = m.initialSymbols(ws.syms[:0], p.text, ws)
	}
	ws.syms = syms
	for _, id := range m.mergeExcluding(m.replaceSymbol(syms, ex), ex) {
		dst = append(dst, int(id))
	}
	return dst
}

// replaceSymbol replaces an excluded initial symbol (a single character)
// as initialSymbols treats a character the vocabulary lacks.
func (m *bpe) replaceSymbol(syms []int32, ex int32) []int32 {
	if !slices.Contains(syms, ex) {
		return syms
	}
	var repl []int32
	tok := m.tokens[ex]
	_, isByte := parseByteToken(tok)
	tok = strings.TrimPrefix(tok, m.prefix)
	if m.suffix != "" {
		tok = strings.TrimSuffix(tok, m.suffix)
	}
	switch {
	case m.byteFallback && !isByte && m.allBytesKnown(tok):
		for i := 0; i < len(tok); i++ {
			repl = append(repl, m.byteFallbackIDs[tok[i]])
		}
	case m.unk >= 0 && int32(m.unk) != ex:
		repl = []int32{int32(m.unk)}
	}
	out := make([]int32, 0, len(syms)+len(repl))
	for _, s := range syms {
		if s == ex {
			out = append(out, repl...)
		} else {
			out = append(out, s)
		}
	}
	return out
}

// mergeExcluding merges the lowest-ranked pair, leftmost among equals, as
// mergeScan does, but never a pair whose result is ex. Surfaces are short,
// so a quadratic scan is fine.
func (m *bpe) mergeExcluding(syms []int32, ex int32) []int32 {
	for {
		best, bestRank, bestID := -1, noRank, int32(0)
		for i := 0; i+1 < len(syms); i++ {
			if r, ok := m.rule(syms[i], syms[i+1]); ok && r.id != ex && r.rank < bestRank {
				best, bestRank, bestID = i, r.rank, r.id
			}
		}
		if best < 0 {
			return syms
		}
		syms[best] = bestID
		syms = append(syms[:best+1], syms[best+2:]...)
	}
}
