package cooc

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas32"
)

// Defaults for VectorOptions fields left at zero.
const (
	DefaultMinCount        = 2
	DefaultAlpha           = 0.75
	DefaultDims            = 300
	DefaultOversample      = 20
	DefaultPowerIterations = 3
	DefaultExponent        = 1.0
)

// VectorOptions tune PPMI and Vectors. The zero value asks for the
// defaults; see the package documentation for why they are what they are.
type VectorOptions struct {
	// MinCount is how many times a token must occur to get a vector (and
	// to be a context). Zero means DefaultMinCount.
	MinCount int
	// Alpha smooths the context distribution: context counts are raised
	// to Alpha. 1 turns smoothing off. Zero means DefaultAlpha.
	Alpha float64
	// Shift, at least 1, is subtracted from every PMI as log Shift before
	// clipping at zero (shifted PPMI; word2vec's negative sampling with
	// Shift negatives). Zero or 1 means none.
	Shift float64

	// Dims is the number of dimensions of the vectors. Zero means
	// DefaultDims.
	Dims int
	// Oversample is how many random directions beyond Dims the range
	// finder uses. Zero means DefaultOversample.
	Oversample int
	// PowerIterations is how many times the range finder multiplies by
	// M Mᵀ; more sharpen the singular vectors when the spectrum decays
	// slowly. Zero means DefaultPowerIterations; NoPowerIterations asks
	// for none.
	PowerIterations int
	// Exponent weighs the singular vectors: vectors are U·Σ^Exponent.
	// Zero means DefaultExponent; NoExponent asks for U alone.
	Exponent float64
	// Seed makes the random directions of the range finder repeatable.
	Seed uint64

	// Progress, if set, is called from one goroutine with the number of
	// steps of the SVD done so far and their total.
	Progress func(done, total int) `json:"-"`
}

// Values that ask for zero where zero means a default.
const (
	NoPowerIterations = -1
	NoExponent        = -1.0
)

func (o VectorOptions) resolved() (VectorOptions, error) {
	bad := func(field string, v any) (VectorOptions, error) {
		return o, fmt.Errorf("cooc: %s = %v: %w", field, v, ErrOptions)
	}
	switch {
	case o.MinCount < 0:
		return bad("MinCount", o.MinCount)
	case o.Alpha < 0 || o.Alpha > 1 || math.IsNaN(o.Alpha):
		return bad("Alpha", o.Alpha)
	case o.Shift != 0 && !(o.Shift >= 1) || math.IsInf(o.Shift, 0):
		return bad("Shift", o.Shift)
	case o.Dims < 0:
		return bad("Dims", o.Dims)
	case o.Oversample < 0:
		return bad("Oversample", o.Oversample)
	case o.PowerIterations < NoPowerIterations:
		return bad("PowerIterations", o.PowerIterations)
	case o.Exponent != NoExponent && (o.Exponent < 0 || o.Exponent > 1) || math.IsNaN(o.Exponent):
		return bad("Exponent", o.Exponent)
	}
	return o.withDefaults(), nil
}

func (o VectorOptions) withDefaults() VectorOptions {
	if o.MinCount == 0 {
		o.MinCount = DefaultMinCount
	}
	if o.Alpha == 0 {
		o.Alpha = DefaultAlpha
	}
	if o.Shift == 0 {
		o.Shift = 1
	}
	if o.Dims == 0 {
		o.Dims = DefaultDims
	}
	if o.Oversample == 0 {
		o.Oversample = DefaultOversample
	}
	if o.PowerIterations == 0 {
		o.PowerIterations = DefaultPowerIterations
	}
	if o.Exponent == 0 {
		o.Exponent = DefaultExponent
	}
	return o
}

// power and exponent read the fields of resolved options, sentinels
// turned into the zeros they stand for. The options themselves keep the
// sentinels, so that options a Vectors reports ask for the same again.
func (o VectorOptions) power() int {
	return max(o.PowerIterations, 0)
}

func (o VectorOptions) exponent() float64 {
	return max(o.Exponent, 0)
}

// Vectors are token vectors from co-occurrence statistics, indexed by
// token id.
type Vectors struct {
	// Table has one row per id of the tokenizer. Rows of tokens without a
	// vector (see Has) are zero. It has Dims columns, or as many as there
	// are tokens with a vector if that is fewer.
	Table blas32.General
	// Occurrences is indexed by token id: how often each occurs in the
	// text (Counts.Occurrences).
	Occurrences []int64
	// Singular lists the singular values of the PPMI matrix the vectors
	// come from, one per column, largest first.
	Singular []float64
	// Options are the options the vectors were built with, defaults
	// filled in: given to Vectors again, they build the same table.
	Options VectorOptions

	has []bool
}

// Has reports whether token id has a vector: it occurs at least MinCount
// times and has a positive PMI with some such token.
func (v *Vectors) Has(id int) bool { return id >= 0 && id < len(v.has) && v.has[id] }

// Len returns how many tokens have a vector.
func (v *Vectors) Len() int {
	n := 0
	for _, h := range v.has {
		if h {
			n++
		}
	}
	return n
}

// Vectors builds token vectors: the PPMI matrix (see PPMI), truncated to
// opts.Dims dimensions by a randomized SVD M ≈ U Σ Vᵀ, each token's row
// of U·Σ^Exponent. The result is the same for a Seed on any number of
// cores. When no token frequent enough to get a vector has a positive
// PMI with another, the error is ErrNoCooccurrence.
func (c *Counts) Vectors(ctx context.Context, opts VectorOptions) (*Vectors, error) {
	opts, err := opts.resolved()
	if err != nil {
		return nil, err
	}
	x, err := c.ppmi(opts)
	if err != nil {
		return nil, err
	}
	if x.NonZero() == 0 {
		return nil, fmt.Errorf("cooc: %w: no positive PMI among the %d tokens occurring at least %d times", ErrNoCooccurrence, x.Len(), opts.MinCount)
	}
	u, sigma, err := truncatedSVD(ctx, &x.m, svdPlan{
		rank:       opts.Dims,
		oversample: opts.Oversample,
		power:      opts.power(),
		seed:       opts.Seed,
		progress:   opts.Progress,
	})
	if err != nil {
		return nil, err
	}
	v := &Vectors{
		Table:       blas32.General{Rows: len(c.rows), Cols: u.Cols, Stride: u.Cols, Data: make([]float32, len(c.rows)*u.Cols)},
		Occurrences: c.Occurrences,
		Singular:    sigma,
		Options:     opts,
		has:         make([]bool, len(c.rows)),
	}
	scale := make([]float64, len(sigma))
	for j, s := range sigma {
		scale[j] = math.Pow(s, opts.exponent())
	}
	for i, id := range x.IDs {
		if x.m.ptr[i+1] == x.m.ptr[i] {
			continue
		}
		v.has[id] = true
		dst := v.Table.Data[id*v.Table.Stride : id*v.Table.Stride+v.Table.Cols]
		for j := range dst {
			dst[j] = float32(u.Data[i*u.Stride+j] * scale[j])
		}
	}
	return v, nil
}
