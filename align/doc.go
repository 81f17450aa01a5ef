// Package align matches the tokens of an old and a new vocabulary on the
// bytes they stand for.
//
// Tokenizer families spell the same bytes differently: GPT-2's byte alphabet
// writes a leading space as "Ġ", SentencePiece as "▁", and a byte-fallback
// vocabulary writes a newline as "<0x0A>". Matching spellings misses most of
// the overlap between families, so [Align] compares [Token.Bytes] instead,
// keeping exact spellings first so that a vocabulary aligned with itself maps
// every token to itself. WordPiece marks a word-internal piece with "##"
// instead of marking a word start with a space; [Token.WordInitial] carries
// that convention so that BERT's "hello" matches GPT-2's "Ġhello" and
// "##ing" matches "ing".
//
// Special tokens are never matched on bytes: they are mapped by role (bos,
// eos, pad, unk), then by identical spelling, then by the caller's explicit
// map. The [Alignment] says, for every row of the new tables, where it comes
// from: a copied old row, a token to initialize, or padding.
package align
