// Package precompiled implements the SentencePiece "Precompiled" normalizer
// that Hugging Face tokenizer.json files carry as
//
//	{"type": "Precompiled", "precompiled_charsmap": "<base64>"}
//
// (T5, mT5, ALBERT, XLM-R and other SentencePiece conversions).
//
// The charsmap, once base64-decoded, is a little-endian uint32 giving the
// size in bytes of a darts-clone double-array trie, the trie itself, and a
// pool of NUL-terminated replacement strings. The trie maps input byte
// sequences to offsets into the pool. [Parse] reads and checks that layout;
// [Normalizer.Normalize] rewrites text with it.
//
// Normalize reproduces the Hugging Face tokenizers crate rather than
// SentencePiece itself, since that is what a tokenizer.json is run with.
// The two differ: Hugging Face walks the text one extended grapheme cluster
// (UAX #29) at a time. A cluster shorter than 6 bytes is first looked up
// whole, and if any prefix of it is a trie key, the whole cluster becomes
// the replacement of the shortest such key, so "Ａ\u0301" becomes "A" and
// "\r\n" becomes " " with the T5 charsmap. Otherwise each character is
// looked up alone and replaced by the replacement of its shortest prefix
// key, or kept. SentencePiece instead takes the longest match at each byte
// position, with no regard to clusters.
//
// Which code points extend a cluster therefore changes the output. Clusters
// follow Unicode 17, as in unicode-segmentation 1.13 that the reference is
// built with: "²" followed by U+1AE0 (new in Unicode 17) is one cluster of
// 5 bytes and becomes "2".
//
// Hugging Face only ever sees valid UTF-8. Normalize copies invalid bytes
// through unchanged and normalizes the valid text between them on its own.
package precompiled
