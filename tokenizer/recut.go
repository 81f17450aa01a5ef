package tokenizer

import (
	"bytes"
	"slices"
)

// Recut marks the tokens of ids, another tokenizer's (fresh's) cut of
// text, whose bytes base would not cut as one token of its own at the same
// place (base cuts text with EncodeSurface). A token both vocabularies
// share may stand where base never puts it: GPT-2 spells an indentation
// as lone spaces where Mistral's tokenizer has tokens for runs of spaces,
// so a model trained on Mistral's has rarely had to predict a lone space.
//
// Recut returns nil, marking none, when either cut does not spell text's
// bytes (a normalizer changed them); a token of fresh that begins before
// text's first byte (a prefix space its Encode adds) is not marked.
func Recut(base, fresh *Tokenizer, text []byte, ids []int) []bool {
	return RecutAt(base.Cuts(text), fresh.Starts(text, ids), fresh, ids)
}

// RecutAt is Recut from base's cuts of the text (Cuts) and the byte
// offsets at which the tokens of ids start (fresh.Starts).
func RecutAt(cut []bool, starts []int, fresh *Tokenizer, ids []int) []bool {
	if cut == nil || starts == nil {
		return nil
	}
	marks := make([]bool, len(ids))
	for k, id := range ids {
		off := starts[k]
		end := off + len(fresh.Surface(id).Bytes)
		marks[k] = off >= 0 && (!cut[off] || !cut[end] || slices.Contains(cut[off+1:end], true))
	}
	return marks
}

// Cuts marks the byte offsets of text, 0 to len(text), at which t's own
// cut of it (EncodeSurface) starts or ends a token; nil when that cut does
// not spell text's bytes.
func (t *Tokenizer) Cuts(text []byte) []bool {
	ids := t.EncodeSurface(text)
	cut := make([]bool, len(text)+1)
	off := 0
	for _, id := range ids {
		b := t.Surface(id).Bytes
		if !bytes.HasPrefix(text[off:], b) {
			return nil
		}
		cut[off] = true
		off += len(b)
	}
	if off != len(text) {
		return nil
	}
	cut[off] = true
	return cut
}

// Starts gives the byte offset of text at which each token of ids, t's cut
// of text, starts: negative for a token that begins before text's first
// byte (a prefix space t's Encode adds). It returns nil when the tokens do
// not spell text's bytes, after such a prefix.
func (t *Tokenizer) Starts(text []byte, ids []int) []int {
	spelled := t.SurfaceBytes(ids)
	if !bytes.HasSuffix(spelled, text) {
		return nil
	}
	starts := make([]int, len(ids))
	off := len(text) - len(spelled)
	for k, id := range ids {
		starts[k] = off
		off += len(t.Surface(id).Bytes)
	}
	return starts
}

// SurfaceBytes is the bytes the tokens of ids stand for (see Surface).
func (t *Tokenizer) SurfaceBytes(ids []int) []byte {
	var b []byte
	for _, id := range ids {
		b = append(b, t.Surface(id).Bytes...)
	}
	return b
}
