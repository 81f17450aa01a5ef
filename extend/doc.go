// Package extend grows a tokenizer's vocabulary: it learns new tokens from a
// corpus and writes a tokenizer.json that has them, in which every old
// token and added token keeps its id and text without the new tokens
// encodes exactly as before. It owns the learning (Learn), the extended
// files (Extension.Files, Extension.Write), and each new token's old
// segmentation (Token.Pieces), from which a caller builds the new rows of
// a model's embedding and head.
//
//	base, err := extend.Open("path/to/model")
//	ext, err := extend.Learn(ctx, base, corpus, extend.Options{Add: 2000})
//	files, err := ext.Files() // tokenizer.json and its companions
//
// # Counting
//
// Learn reads the corpus once, as a stream, in chunks of up to 64 KiB that
// end at a line break, checks that it is UTF-8 (a *CorpusError gives the
// offset of the first ill-formed byte), and encodes every chunk with the
// base tokenizer on every core, through its own normalizer and
// pre-tokenizer (tokenizer.EncodeWords). It counts the distinct words, each
// with its segmentation; at most Options.MaxWords of them are kept, the
// rarest forgotten when the table fills, so memory stays bounded whatever
// the corpus's size. Chunks are counted in corpus order, so the result does
// not depend on the number of cores.
//
// # What is learned
//
// A candidate must occur at least Options.MinFrequency times, and
// candidates are chosen by the tokens they save on the corpus.
//
// BPE (byte-level like GPT-2, Llama 3 and Qwen; SentencePiece-style with
// byte fallback like Llama 2 and Mistral; ignore_merges files too): the
// merge list is continued. Each word starts from its old segmentation
// (every old merge has run; the new merges rank after all of them, so
// they never change what the old ones do) and the pair saving the most
// tokens is merged everywhere, again and again, as BPE training does;
// since the encoder applies the new merges in the same order, the learned
// segmentation of every word is exactly what the extended tokenizer gives.
// Merges never cross a pre-token, never give a token the SentencePiece
// space mark (▁) anywhere but at its start (SentencePiece's own rule;
// lines without a pre-tokenizer are cut into words at that mark), never
// make an old token (old text would change) and never join byte-fallback
// or special tokens. A merge that makes an already new token from other
// pieces is kept as one more merge, without a new id. With byte fallback,
// a character of several bytes the base spells as <0xNN> tokens can itself
// become a token (it saves all but one of its byte tokens), and merges may
// then build on it. New tokens also keep to the base's style: when no token
// of the base holds a digit next to another character (Llama 2, Mistral),
// no new one does; the same for letters next to punctuation or symbols
// unless Options.MixPunctuation says otherwise, and for line breaks, but
// that runs of them may be tokens unless Options.NoLineBreaks (see style
// for what breaking these rules costs). A line break the base spells in
// bytes is then learned as a character first, though it saves nothing
// itself, as the merges of line breaks need it as a token.
//
// Unigram: pieces made of two neighbouring pieces of the corpus's
// segmentation, learned in rounds; see unigram.go for the score rule (the
// larger of the piece's log frequency and the score of the two pieces it
// replaces plus a margin, never below the base's lowest score) and why.
// Every new piece encodes its own text as itself.
//
// WordPiece: whole words that the base cuts into several pieces, as
// word-initial tokens; no "##" continuations are added (see wordpiece.go).
//
// WordLevel, and anything else, cannot be extended: Open returns an error
// wrapping ErrUnsupportedModel that names the family.
//
// # Ids and files
//
// New ids follow every existing id, model and added tokens alike, and
// start no lower than Options.FirstID (an embedding padded past the
// tokenizer, such as T5's 32,128 rows for 32,100 tokens). The new
// tokenizer.json is the base's, byte for byte, with entries appended to
// model.vocab and model.merges in the base's own layout (indentation, line
// endings, merges as "a b" or [a, b]); pre-tokenizer, normalizer,
// post-processor, decoder and added tokens are untouched, and companion
// files are copied as they are. Files explains the two things the
// reference library (Hugging Face tokenizers) requires beyond that: added
// tokens outside the model's vocabulary are entered into it at their ids,
// and unused ids of a Unigram vocabulary hold placeholder pieces that never
// match. Extended tokenizers of every family are checked id for id against
// the reference on a multi-script corpus
// (testdata/golden, scripts/golden/extend).
package extend
