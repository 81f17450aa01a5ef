// Package omp builds embedding rows for new tokens by Orthogonal Matching
// Pursuit, the zero-shot transplant of the OMP tokenizer-transplant paper
// and the default of mergekit's tokensurgeon.
//
// A donor model already uses the new tokenizer; the base model is the one
// being moved onto it. Tokens both know are anchors. Each new token's
// donor row is approximated as a sparse combination of at most K anchors'
// donor rows, and the same coefficients applied to those anchors' base
// rows give its base row. The donor and base widths may differ. The input
// embedding and the output head are separate tables and are transplanted
// separately.
//
// # Pieces
//
// [Solve] runs the pursuit for many targets against one dictionary of
// anchors and returns a [Solution]: per target, the anchors chosen in
// order, their coefficients, the residual norm and why the pursuit
// stopped ([Stop]); [Solution.Terms] lists a token's decomposition for
// inspection. [Method] is OMP as a heuristics.Method: it gathers the donor
// rows, calls Solve and returns the solution as a row map (each target's
// anchors' base rows with their coefficients), which heuristics.Map.Apply
// turns into rows.
// [SolveFullCorrelation] is the textbook algorithm, kept as the baseline
// that tests and benchmarks measure Solve against.
//
// # Semantics
//
// At every step the pursuit picks the unused anchor whose correlation with
// the residual, |⟨r, d_j⟩|, is largest, then refits the coefficients of all
// chosen anchors by least squares, so the residual stays orthogonal to
// them. Where the references differ, this package does the following.
//
//   - Anchors are used as given, not normalized, as in mergekit's
//     batch_omp and scikit-learn's orthogonal_mp (which assumes unit-norm
//     columns but does not enforce it). Selection then favours long
//     anchors: a longer anchor pointing nearly the same way can beat even
//     an anchor equal to the target, which the least-squares refit zeroes
//     once the equal anchor is in. Options.Normalize selects by
//     |⟨r, d_j⟩|/‖d_j‖ instead, i.e. by angle; it changes which anchors are
//     picked, not the coefficients of those picked.
//   - Exactly equal correlations go to the lowest anchor index, as
//     numpy.argmax and torch.max do; scikit-learn, which swaps chosen
//     atoms to the front, breaks later ties in its swapped order.
//   - Coefficients are the least-squares fit on the support at every step,
//     as in both references (scikit-learn by a Cholesky update of the
//     support's Gram matrix, mergekit by Gram–Schmidt). Here a Cholesky
//     update in float64 from float64 inner products of the float32 inputs.
//   - Options.Tolerance is relative: stop once ‖r‖ ≤ Tolerance·‖x‖, tested
//     after each step. scikit-learn's tol is the absolute squared norm and,
//     when given, overrides n_nonzero_coefs; here K and Tolerance both
//     apply and the first reached stops. mergekit has no tolerance.
//   - An anchor whose squared distance to the span of the support is at
//     most 1e-12 of its squared norm cannot lower the residual: the pursuit
//     stops ([StopDependent]). scikit-learn warns and stops when the
//     Cholesky pivot falls below machine epsilon (an absolute test);
//     mergekit clamps the norm at 1e-8 and goes on.
//   - When no remaining correlation, computed exactly from the residual, is
//     distinguishable from float64 rounding, or the residual is below the
//     float32 resolution of the inputs, the pursuit stops
//     ([StopOrthogonal]); an exact k-sparse target stops after k anchors. scikit-learn's orthogonal_mp stops on an exact fit when the
//     argmax lands on a chosen atom, sometimes after one more, dependent
//     atom whose pivot clears its absolute threshold; mergekit never stops
//     early and fills the support with noise.
//   - K larger than the number of anchors is lowered to it (both
//     references reject it).
//
// scikit-learn 1.2's orthogonal_mp agrees with this package on every
// selection of the golden problems in testdata (made by
// scripts/golden/omp/make_golden.py) outside floating-point ties, and on
// the coefficients to 1e-10.
//
// # Algorithm
//
// mergekit recomputes the correlation of every residual with every anchor
// at every step: K products of (targets × hidden) by (hidden × anchors).
// Solve uses Batch-OMP (Rubinstein, Zibulevsky and Elad, 2008) without
// its full Gram matrix, which would not fit (anchors² values): one matrix
// product gives each target's initial correlations α⁰ = D x, and after t
// steps the correlations are α⁰ − Σ_s γ_s g_s, where g_s = D d_s is the
// Gram column of a chosen anchor. Gram columns are computed only for
// anchors some target has chosen, by one matrix product per round for all
// targets waiting on one, and cached across targets; a target whose
// columns are all cached runs on without waiting. Per target this costs
// about anchors·(hidden + K²/2) multiply-adds, against anchors·hidden·K
// for the full-correlation method, plus anchors·hidden per distinct Gram
// column, shared by all targets.
//
// The update α⁰ − Σγ_s g_s cancels heavily when coefficients are large,
// so every float32 choice is checked against a rigorous bound on its
// rounding error: if another anchor comes within the bound of the best,
// the contenders are recomputed exactly from the residual in float64; if
// the bound swamps the correlations, the target's correlations are
// recomputed directly from its residual (a rebase, batched like the Gram
// columns), after which the error scales with the residual; if even that
// cannot tell, every correlation is computed exactly. Every choice is
// therefore the one exact arithmetic on the float32 inputs would make, up
// to float64 rounding, in both precisions of the screen.
//
// The update reads t Gram columns at step t, about anchors·K²/2 values per
// target: a memory-bound matrix-vector product, where the full-correlation
// method's products are compute-bound. With hidden sizes near K²/2 (1,024
// for K = 64) and an optimized BLAS, the update dominates and the gain over
// the full-correlation method is several times rather than K/2 times; it
// grows with the hidden size. bench/omp measures both.
//
// # Memory
//
// Working memory is the correlations of the targets in flight (BatchSize
// rows of anchors values) plus the Gram cache (up to one column of anchors
// values per anchor), in the screen's precision, bounded by
// Options.MaxMemory. A batch's supports must fit in the cache at once, so
// a small budget means small batches and, once the cache is full,
// recomputed columns. With 4-byte values, "anchors × (anchors + batch) × 4"
// bytes never recomputes a column.
package omp
