// Package tokenizer reads Hugging Face tokenizer.json files and encodes and
// decodes text exactly as the Hugging Face tokenizers library does, token
// for token; and it says, for every token of a vocabulary, which bytes the
// token stands for. Transplanting a model onto a new vocabulary rests on
// both: a token off by one merge silently poisons every embedding built
// from it.
//
// # Pipeline
//
// Encoding runs the stages of the reference library, each one a small
// interface with one implementation per JSON "type":
//
//  1. added tokens are cut out of the raw text (those with normalized:
//     false), leftmost-longest;
//  2. each remaining segment is normalized (normalizer: NFC, Lowercase,
//     Replace, BertNormalizer, Precompiled, ...) and cut again at the added
//     tokens matched in normalized text;
//  3. the pre-tokenizer cuts segments into words (ByteLevel, Split,
//     Metaspace, Whitespace, BertPreTokenizer, Digits, ...);
//  4. the model turns each word into ids (BPE, WordPiece, Unigram,
//     WordLevel);
//  5. with addSpecialTokens, the post-processor adds BOS/CLS/SEP and the
//     like (TemplateProcessing, BertProcessing, RobertaProcessing).
//
// Decoding runs the decoder chain (ByteLevel, Metaspace, ByteFallback,
// Fuse, Strip, Replace, WordPiece, ...) over the token strings.
//
// Components are built from the file by newNormalizer, newPreTokenizer,
// newModel, newDecoder and newPostProcessor, each a switch on "type"
// (legacy files without "type" are recognized by their fields, as the
// reference does). An unknown type, a malformed field, a merge naming a
// token outside the vocabulary or two tokens sharing an id is an error
// naming the file and the JSON path of the problem; nothing is skipped.
// Truncation and padding settings are not applied: Encode always returns
// the whole sequence.
//
// # Speed
//
// The regular expressions of GPT-2, GPT-4 (cl100k), Llama 3 and Qwen
// pre-tokenizers run as hand-written scanners (scan.go) proven equal to the
// backtracking engine by differential fuzzing; any other pattern runs on
// regexp2. BPE keys merge ranks by id pairs, reads raw bytes for byte-level
// vocabularies, and caches words per worker; EncodeBatch uses all cores.
//
// # Surfaces
//
// Surface gives the bytes behind each id (byte-level spelling decoded, ▁ as
// a space, <0xNN> as one byte, ## removed) with flags for special,
// byte-fallback, continuation and unused ids. EncodeSurface cuts given
// bytes as the model would, without the prefix space and special tokens
// Encode may add: the subword decomposition a transplant needs.
package tokenizer
