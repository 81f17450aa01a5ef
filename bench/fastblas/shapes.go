package main

import (
	"fmt"

	"gonum.org/v1/gonum/blas"
)

// A shape is one Sgemm call of a hot path: C (m×n) = op(A)·op(B).
type shape struct {
	name    string
	tA, tB  blas.Transpose
	m, n, k int
	// large marks shapes left out unless -large: they take gonum minutes.
	large bool
}

func (s shape) flops() float64 { return 2 * float64(s.m) * float64(s.n) * float64(s.k) }

func (s shape) ops() string {
	t := func(t blas.Transpose) string {
		if t == blas.NoTrans {
			return "N"
		}
		return "T"
	}
	return t(s.tA) + t(s.tB)
}

func (s shape) String() string {
	return fmt.Sprintf("%s %s %d×%d×%d", s.name, s.ops(), s.m, s.n, s.k)
}

const (
	n = blas.NoTrans
	t = blas.Trans
)

// shapes are the products the hot paths make, by caller. Weights are
// [out, in] row-major, so a layer is x·Wᵀ (NT); nearest neighbours, OMP
// correlations and Gram columns multiply row-major embeddings the same
// way.
var shapes = []shape{
	// eval/forward: 256 rows through a layer (hidden 192 to 4096).
	{name: "fwd-qkv-h192", tA: n, tB: t, m: 256, n: 576, k: 192},
	{name: "fwd-up-h768", tA: n, tB: t, m: 256, n: 3072, k: 768},
	{name: "fwd-o-h2048", tA: n, tB: t, m: 256, n: 2048, k: 2048},
	{name: "fwd-o-h4096", tA: n, tB: t, m: 256, n: 4096, k: 4096},
	{name: "fwd-down-h4096", tA: n, tB: t, m: 256, n: 4096, k: 11008, large: true},
	// eval/forward attention: a 128-row query block, head size 64.
	{name: "attn-scores", tA: n, tB: t, m: 128, n: 512, k: 64},
	{name: "attn-values", tA: n, tB: n, m: 128, n: 64, k: 512},
	// eval/forward output head: 256 rows times vocab × hidden.
	{name: "head-32k-h1024", tA: n, tB: t, m: 256, n: 32000, k: 1024},
	{name: "head-152k-h896", tA: n, tB: t, m: 256, n: 151936, k: 896, large: true},
	// heuristics nearest neighbours, omp correlations: targets × anchors.
	{name: "knn-h768", tA: n, tB: t, m: 256, n: 4096, k: 768},
	{name: "corr-h2048", tA: n, tB: t, m: 1024, n: 8192, k: 2048},
	{name: "corr-h4096", tA: n, tB: t, m: 8192, n: 4096, k: 4096, large: true},
	// omp Gram columns: a few atoms × every anchor.
	{name: "gram-1", tA: n, tB: t, m: 1, n: 32000, k: 1024},
	{name: "gram-8", tA: n, tB: t, m: 8, n: 32000, k: 1024},
	{name: "gram-64", tA: n, tB: t, m: 64, n: 32000, k: 1024},
	// heuristics randn: rows times a d×d factor.
	{name: "randn-d768", tA: n, tB: n, m: 4096, n: 768, k: 768},
	// The other transposes, for completeness.
	{name: "tn-768", tA: t, tB: n, m: 768, n: 768, k: 4096},
	{name: "tt-512", tA: t, tB: t, m: 512, n: 512, k: 512},
	// Small products, near the fallback threshold.
	{name: "small-32", tA: n, tB: t, m: 32, n: 32, k: 32},
	{name: "small-64", tA: n, tB: t, m: 64, n: 64, k: 64},
}
