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
// stream directly. The model is anything with a per-window NLL method
// (LanguageModel): package eval/forward provides the float32 forward pass of
// Llama, Mistral, Qwen2, Qwen3 and GPT-2 checkpoints.
package eval
