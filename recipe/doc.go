// Package recipe reads and writes recipes: everything a transplant decided,
// with nothing of the weights it decided it for.
//
// A [Recipe] holds the alignment of two vocabularies (where each row of the
// new tables comes from), one row map per table (how each new token's row
// is made from base rows: package heuristics' Map), the new tokenizer's
// files, and provenance: fingerprints of the old vocabulary, of the new
// tokenizer and of the donor's tables, the methods with every parameter,
// the seed and the tool's version. Applying a recipe to any checkpoint with
// the recipe's old vocabulary and table widths — a base model, its
// instruct variant, its fine-tunes — gives that checkpoint the new
// tokenizer without solving again.
//
// A recipe is one safetensors file: the arrays are tensors (row maps as
// ids, term offsets, old ids and weights; the alignment as kinds and
// sources; the tokenizer's files as bytes) and the rest is JSON in the
// header's metadata under "transplant.recipe". [Write] is deterministic:
// the same recipe always gives the same bytes, so a recipe solved in
// shards ([Shard]) and joined by [Merge] is byte-identical to one solved
// whole. [Read] checks every array against the metadata and refuses a
// truncated or inconsistent file, naming it.
package recipe
