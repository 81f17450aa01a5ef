// Package cooc builds token vectors from co-occurrence statistics of a
// text, for the methods that otherwise need a donor model (knn, hybrid,
// omp): one row per id of the new tokenizer, from the user's text alone.
// FOCUS (Dobler & de Melo 2023) trains fastText on target-language text
// for the same purpose; this package does it in closed form, the
// same way every time for a seed.
//
// It owns the whole path from text to table and nothing after it:
//
//  1. [Count] reads the text (UTF-8, checked as it streams; the first bad
//     byte is an [EncodingError] with its offset), cuts it after blank
//     lines into chunks of at most 64 KiB, encodes them with the tokenizer
//     (no special tokens added) and counts, for every pair of tokens at
//     most Window apart within a chunk, a weight (Window+1−d)/Window for
//     distance d. That is the expected weight of word2vec's dynamic
//     window; GloVe's 1/d falls off faster. Counts are integers (in units
//     of 1/Window), so the order of addition, and the number of cores,
//     cannot change them. Special tokens and the unknown token hold their
//     place in a window but are not counted.
//  2. [Counts.PPMI] turns the counts into positive pointwise mutual
//     information with context distribution smoothing (context counts
//     raised to α = 0.75) and an optional shift, as in Levy, Goldberg &
//     Dagan (2015), "Improving distributional similarity with lessons
//     learned from word embeddings", over the tokens occurring at least
//     MinCount times.
//  3. [Counts.Vectors] truncates that matrix by a randomized SVD (Halko,
//     Martinsson & Tropp 2011: a range finder with power iterations, in
//     float64), M ≈ UΣVᵀ, and returns U·Σ^p as a float32 table with one
//     row per token id. Rows of tokens too rare or absent are zero;
//     [Vectors.Has] tells them apart.
//
// # Memory
//
// The pair counts are sparse: one open-addressing table per token of the
// pairs (a, b ≥ a) it starts, 8 bytes a slot. CountOptions.MaxPairs caps
// the pairs held: when a batch of text leaves more, the rarest are
// dropped until at most half remain, and counting goes on (a dropped pair
// that comes back starts again from zero: lossy counting, as word2vec
// prunes its vocabulary). The row sums the PMI divides by are kept apart
// and never pruned. Counts.PruneFloor reports how rare a pair had to be to
// go. The SVD then holds the positive entries (8 bytes each, both halves
// of the matrix) and two dense rows × (Dims+Oversample) float64 matrices,
// and the result one float32 row per token id.
//
// # Defaults
//
// The defaults aim at texts from 1 MB to 1 GB. The numbers below come
// from bench/cooc: the reconstruction test of `transplant eval
// reconstruct` on the two small models of the project's test assets,
// restricted to 1,000 held-out shared tokens that occur at least five
// times in the 0.9 MB calibration text, with vectors of that text in the
// donor's (GPT-2) tokens standing in for the donor; the score is the mean
// cosine of knn's rebuilt input-embedding rows to the true ones (B's own
// embedding as the donor: 0.359; the mean row: 0.087).
//
//   - Window 2. Narrow windows find tokens that play the same part (" he"
//     next to " they" and " she", " three" next to " seven" and " four"),
//     which is what a row built from neighbours needs; wider ones find
//     tokens of the same topic. knn scored 0.219, 0.213, 0.185, 0.146 and
//     0.115 for windows 1, 2, 3, 5 and 10; Levy et al. also find 2 best
//     for similarity. Window 2 keeps a little more context than 1 for
//     small texts at no loss.
//   - MinCount 5: rarer tokens get no vector, and callers fall back to
//     methods that need none. MinCount 1 or 2 gave vectors to 18,952 or
//     11,379 tokens instead of 4,977, but knn fell to 0.170 or 0.189 on
//     the frequent tokens, noisy rows of rare tokens crowding their
//     neighbour lists. fastText, which FOCUS uses, has the same default.
//   - MaxPairs 2^25 (33.5 million pairs, at most some 450 MiB of tables).
//     Window 2 over 100 MB of mixed English and code in Llama 3 tokens
//     holds 5.2 million pairs, so pruning starts near a gigabyte of text
//     and then drops only pairs seen a handful of times.
//   - Dims 300, as FOCUS's fastText vectors. 100 did as well for knn
//     (0.218) but worse for omp (0.107 against 0.131), which combines up
//     to 64 anchors and needs room.
//   - Oversample 20 and PowerIterations 3: the spectrum of a PPMI matrix
//     decays slowly, so the range finder needs power iterations. None
//     scored 0.177 (omp 0.077), one 0.213 (0.126), three 0.213 (0.131),
//     six 0.212 (0.136).
//   - Exponent 1 (U·Σ). Levy et al. found p = 0.5 or 0 better than 1 on
//     word-similarity benchmarks, but here p = 1 did best: knn 0.225,
//     0.213 and 0.196 for p = 1, 0.5 and 0, and on tokens occurring at
//     least 20 times 0.307 against 0.288 for p = 0.5 (omp unchanged).
//     Neighbour search weighs the leading directions, which carry the
//     broad classes of tokens, and p = 1 keeps them strongest.
//   - Alpha 0.75 (Levy et al.'s recommendation) and Shift 1 (none: they
//     found shifting hurts SVD).
//
// # Determinism
//
// For a given text, tokenizer, options and Seed, the table is the same
// bit for bit on any number of cores: counts are integers and pruning
// happens between fixed batches of text; every floating-point sum runs in
// an order fixed by the data, each product row or column being summed by
// one goroutine; the random test matrix comes from a PCG stream; and the
// sign of each singular vector is fixed by making its largest-magnitude
// entry positive.
package cooc
