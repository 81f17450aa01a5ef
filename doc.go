// Package transplant moves a pretrained language model onto a new
// tokenizer without training. It reads as one pipeline:
//
//   - open: [Open] opens the base model and its tokenizer, the new tokenizer
//     and an optional donor model (one that already uses the new
//     tokenizer), checks that they fit together, aligns the two
//     vocabularies on bytes (package align) and lists the tables to build
//     ([Table]: the input embedding and, unless tied, the output head);
//   - plan: [Session.Plan] says, before any table is read, which rows are
//     copied and which a method builds, and how much memory it will take;
//   - build: [Session.Build] runs the chosen methods ([Choice]; the registry
//     is [Methods]) and returns a row map per table ([Built]): how every
//     new row is made from base rows (package heuristics);
//   - write: [Session.Write] applies the maps to the base tables, copies
//     shared rows and every other tensor bit for bit, and writes a model
//     directory that transformers loads: config.json and
//     generation_config.json for the new vocabulary, the new tokenizer's
//     files, and a transplant.json [Report] with checksums of every input
//     and output file. The directory appears atomically; inputs are only
//     read.
//
// [Run] does all four for one output. The same session also makes
// reconstruction problems ([Session.HoldOut]) for package eval, so that
// every command opens, checks and aligns its inputs in one way.
package transplant
