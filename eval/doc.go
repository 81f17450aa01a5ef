// Package eval measures how good a (transplanted) model is.
//
// Zero-shot bits-per-byte is the headline number: the negative
// log-likelihood a model assigns to a held-out text, in bits, over the
// text's UTF-8 bytes. Dividing by bytes rather than tokens makes models with
// different tokenizers comparable, which is the point of a transplant.
//
// The protocol, the default of every function here:
//
//  1. Chunks cuts the text right after blank lines into chunks of at most
//     DefaultChunkBytes (65536) bytes;
//  2. the caller's tokenizer encodes each chunk without special tokens;
//  3. Stream joins the chunks' ids into one stream, each chunk preceded by
//     the model's BOS id, and marks the BOS positions as never scored;
//  4. Score runs the model over windows of its context length (at most
//     MaxDefaultContext unless Options.Context says otherwise; non-overlapping
//     unless Options.Stride says otherwise), in parallel, and sums the
//     negative log-likelihood of every scored target;
//  5. bits-per-byte = that sum in bits / bytes of the whole text.
//
// BitsPerByte does all five given an encode callback; Score takes an id
// stream directly; BitsPerByteTargets and ScoreTargets also keep each
// target's negative log-likelihood. The model is anything with a
// per-window NLL method (LanguageModel): package eval/forward provides the
// float32 forward pass of Llama, Mistral, Qwen2, Qwen3, Phi-3, Gemma,
// Gemma 2, Gemma 3 text and GPT-2 checkpoints; ScoreDir loads a model
// directory and its tokenizer and scores it in one call.
//
// A Splitter splits a score by the tokens a baseline vocabulary lacks
// (aligned by package align, as a transplant aligns them): bits per byte
// over the bytes of new targets, of shared targets right after a new
// token, and of the other shared targets, each part with its share of the
// bytes; and it lists the new tokens that cost the most bits. A part's
// bytes are those its tokens stand for (Part.Bytes): the parts add up to
// the text's bytes, give or take a tokenizer's added or dropped spaces and
// unknown text. Given the baseline's own score of the same text, located
// byte by byte (Targets.Locate), each part also gets the bits the baseline
// spent on its bytes (Splitter.SplitAgainst): where a transplant loses
// against the model it came from, part by part. ScoreDirSplit scores a
// model directory and splits the score against a baseline;
// ScoreDirTargets keeps a baseline's targets for it.
//
// Two cheaper measures need no forward pass. Reconstruct takes problems in
// which tokens both vocabularies share are handed to methods as if they were
// new (package transplant's Session.HoldOut makes them: a seeded sample,
// their own ids excluded from their subword pieces and from the anchors),
// runs every method and compares the rows built with the true rows by
// cosine similarity and relative L2 error, per table. CompareEfficiency encodes a text with the old
// and the new tokenizer and reports bytes per token, tokens per word,
// byte-fallback tokens and how much of the text falls in tokens the other
// vocabulary lacks.
//
// A Report gathers any of these and renders them as terminal tables,
// Markdown and PNG charts (gonum/plot).
package eval
