// Package heuristics builds embedding rows for tokens a model has never seen.
//
// A transplant gives a model a new tokenizer. Tokens the old and new
// vocabularies share keep their rows; every other new token needs a row in
// the input embedding and, unless tied, in the output head. A [Problem]
// describes one such table: the base rows, the tokens to build ([Target]),
// the tokens both vocabularies share ([Anchor]), and optionally a donor
// table, indexed by new ids, from a model that already uses the new
// tokenizer. A [Method] fills one row per target.
//
// The methods:
//
//   - [Zero] and [Mean]: the zero vector, or the mean of the base rows.
//   - [Randn]: a draw from a normal distribution with the base rows' mean and
//     scaled covariance, as transformers' mean_resizing does.
//   - [Subword]: the base rows of the pieces the old tokenizer cuts the new
//     token's bytes into, combined by mean, first, last or byte length.
//   - [KNN]: the k shared tokens nearest to the new token in the donor's
//     space (cosine), weighted by softmax or sparsemax of their similarity
//     (FOCUS), applied to the anchors' base rows.
//   - [Hybrid]: TokenAdapt's blend of a local estimate (subword pieces
//     weighted by similarity and length) and a global one (kNN).
//
// Methods never touch the rows of shared tokens: the caller copies those.
// Every method is deterministic for a given Problem, Seed included, whatever
// the number of cores.
package heuristics
