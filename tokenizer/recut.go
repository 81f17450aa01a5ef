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
	cuts := base.EncodeSurface(text)
	if !bytes.Equal(base.SurfaceBytes(cuts), text) {
		return nil
	}
	spelled := fresh.SurfaceBytes(ids)
	if !bytes.HasSuffix(spelled, text) {
		return nil
	}
	cut := make([]bool, len(text)+1)
	off := 0
	for _, id := range cuts {
		cut[off] = true
		off += len(base.Surface(id).Bytes)
	}
	cut[off] = true
	marks := make([]bool, len(ids))
	off = len(text) - len(spelled)
	for k, id := range ids {
		end := off + len(fresh.Surface(id).Bytes)
		marks[k] = off >= 0 && (!cut[off] || !cut[end] || slices.Contains(cut[off+1:end], true))
		off = end
	}
	return marks
}

// SurfaceBytes is the bytes the tokens of ids stand for (see Surface).
func (t *Tokenizer) SurfaceBytes(ids []int) []byte {
	var b []byte
	for _, id := range ids {
		b = append(b, t.Surface(id).Bytes...)
	}
	return b
}
