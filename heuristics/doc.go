// Package heuristics builds embedding rows for tokens a model has never seen,
// and owns the contract every initialization method follows.
//
// A transplant gives a model a new tokenizer. Tokens the old and new
// vocabularies share keep their rows; every other new token needs a row in
// the input embedding and, unless tied, in the output head. A [Problem]
// describes one such table ([Role]): the base rows, the tokens to build
// ([Target]), the tokens both vocabularies share ([Anchor]), and optionally
// a donor table indexed by new ids (a model that already uses the new
// tokenizer, or auxiliary vectors for its tokens).
//
// A [Method] does not write rows: it returns a [Map], which says for every
// target how its row is made from base rows — weighted terms, a weight on
// the mean of the base rows, and a seeded noise term — with per-row
// [Measure]s such as a residual or a similarity. [Map.Apply] is the one
// function that turns a map into rows. Reports, explanations and recipes
// read maps; a map built on one checkpoint applies to any other with the
// same old vocabulary and width.
//
// The methods here:
//
//   - [Zero] and [Mean]: no terms, or the mean of the base rows.
//   - [Randn]: the mean plus a draw from a normal distribution with the
//     base rows' scaled covariance, as transformers' mean_resizing does.
//   - [Subword]: the base rows of the pieces the old tokenizer cuts the new
//     token's bytes into, combined by mean, first, last or byte length.
//   - [KNN]: the k shared tokens nearest to the new token in the donor's
//     space (cosine), weighted by softmax or sparsemax of their similarity
//     (FOCUS), applied to the anchors' base rows.
//   - [Hybrid]: TokenAdapt's blend of a local estimate (subword pieces
//     weighted by similarity and length) and a global one (kNN).
//   - [Blend]: the weighted sum of two methods' rows, term by term.
//   - [Routed]: one method where it can make a sound row and a fallback
//     elsewhere: tokens without a donor row, estimates whose measures
//     (residual, similarity) are poor.
//
// Package omp adds Orthogonal Matching Pursuit under the same contract.
// Capabilities are interfaces: a [DonorMethod] cannot run without a donor
// table; a [Sizer] says how much memory it needs before it runs.
//
// Methods never touch the rows of shared tokens: the caller copies those.
// Every method is deterministic for a given Problem, Seed included, whatever
// the number of cores.
package heuristics
