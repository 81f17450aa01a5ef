// Package transplant moves a pretrained language model onto a new
// tokenizer without training.
//
// [Prepare] opens the base model, its tokenizer, the new tokenizer and an
// optional donor model (one that already uses the new tokenizer), aligns the
// two vocabularies on bytes (package align) and works out a [Plan]: which
// rows are copied, which a method builds, how large the new tables are and
// how much memory the run needs. [Job.Run] builds the new input embedding
// and, unless tied, the new output head with the chosen methods (package
// heuristics, package omp), and writes a model directory that transformers
// loads: the new tables in the base's dtype, every other tensor copied bit
// for bit, config.json and generation_config.json with the new vocabulary
// size and special-token ids, the new tokenizer's files, and a
// transplant.json report. The directory appears atomically; inputs are
// only read.
package transplant
