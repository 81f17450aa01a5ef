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
// dropped until at most three quarters of the cap remain (after the last
// batch, the cap), and counting goes on; a dropped pair that comes back
// starts again from zero (lossy counting, as word2vec prunes its
// vocabulary). The row sums the PMI divides by are kept apart and never
// pruned. Counts.PruneFloor reports how rare a pair had to be to go. The
// SVD then holds the positive entries (8 bytes each, both halves of the
// matrix) and two dense rows × (Dims+Oversample) float64 matrices, and
// the result one float32 row per token id.
//
// # Defaults
//
// The defaults aim at texts from 1 MB to 1 GB. The numbers below come
// from bench/cooc (its README has the tables): the reconstruction test of
// `transplant eval reconstruct` on the project's two small models, A's
// rows of 1,000 held-out tokens A and B share that occur at least five
// times in the 0.9 MB calibration text, rebuilt by knn and omp with
// vectors of that text in B's (GPT-2) tokens standing in for a donor. The
// score quoted is knn's mean cosine to the true input-embedding rows; B's
// own embedding as the donor gives 0.359, the mean row 0.087.
//
//   - Window 2. Narrow windows find tokens that play the same part (" he"
//     next to " they" and " she", " three" next to " seven" and " four"),
//     which is what a row built from neighbours needs; wider ones find
//     tokens of the same topic. Windows 1, 2, 3, 5 and 10 scored 0.218,
//     0.211, 0.189, 0.163 and 0.133; omp and the output head did best at
//     2. Levy et al. also find 2 best for similarity.
//   - MinCount 2: a token seen once gets no vector, and callers fall back
//     to methods that need none. Against MinCount 5, the 11,379 tokens
//     with a vector instead of 4,977 cost knn a little on frequent tokens
//     (0.211 against 0.225) and gain omp on the output head (0.690 against
//     0.651); on tokens seen two to four times, which MinCount 5 leaves
//     without a vector, knn scored 0.106 and the mean row 0.085. MinCount
//     1 is worse on both.
//   - MaxPairs 2^25 (33.5 million pairs, at most some 450 MiB of tables).
//     Window 2 over 100 MB of mixed English and code in Llama 3 tokens
//     holds 5.2 million pairs, over 300 MB 8.9 million (about the square
//     root of the text), so a gigabyte should stay near half the cap:
//     pruning is a safety net, and then drops pairs seen once or twice.
//   - Dims 300, as FOCUS's fastText vectors. 100 did as well for knn
//     (0.218) but worse for omp (0.110 against 0.138), which combines up
//     to 64 anchors and needs room.
//   - Oversample 20 and PowerIterations 3: the spectrum of a PPMI matrix
//     decays slowly, so the range finder needs power iterations. None
//     scored 0.153 (omp 0.068), one 0.208 (0.135), three 0.211 (0.138),
//     six 0.212 (0.134).
//   - Exponent 1 (U·Σ). Levy et al. found p = 0.5 or 0 better than 1 on
//     word-similarity benchmarks, but here p = 1 did best: 0.211, 0.189
//     and 0.169 for p = 1, 0.5 and 0, and the same order for omp and the
//     head. Neighbour search then weighs most the leading directions,
//     which carry the broad classes of tokens.
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
