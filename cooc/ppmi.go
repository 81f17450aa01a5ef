package cooc

import (
	"fmt"
	"math"
	"slices"
)

// A Matrix is the positive PMI matrix of a text over the tokens frequent
// enough to get a vector: row and column i stand for token IDs[i].
type Matrix struct {
	// IDs lists the tokens of the rows (and columns), increasing.
	IDs   []int
	index []int32 // by token id: row, or −1
	m     csr
}

// PPMI returns the positive pointwise mutual information of the tokens
// that occur at least opts.MinCount times, with context distribution
// smoothing (Levy, Goldberg & Dagan 2015):
//
//	PPMI(w, c) = max(0, log( #(w,c) · Σ_c′ #(c′)^α / (#(w) · #(c)^α) ) − log Shift)
//
// #(w,c) is Counts.Cooccurrence, #(w) and #(c) are Counts.Mass, and the
// sum runs over every counted token, rare ones included. Raising context
// counts to α < 1 lifts rare contexts, whose PMI would otherwise be
// inflated; the matrix is then not symmetric. Only opts.MinCount, Alpha
// and Shift matter here.
func (c *Counts) PPMI(opts VectorOptions) (*Matrix, error) {
	opts, err := opts.resolved()
	if err != nil {
		return nil, err
	}
	return c.ppmi(opts)
}

// ppmi is PPMI with opts resolved.
func (c *Counts) ppmi(opts VectorOptions) (*Matrix, error) {
	x := &Matrix{index: make([]int32, len(c.rows))}
	for id := range c.rows {
		x.index[id] = -1
		if !c.skip[id] && c.Occurrences[id] >= int64(opts.MinCount) && c.mass[id] > 0 {
			x.index[id] = int32(len(x.IDs))
			x.IDs = append(x.IDs, id)
		}
	}
	if len(x.IDs) > math.MaxInt32 {
		return nil, fmt.Errorf("cooc: %d tokens: too many", len(x.IDs))
	}
	p := newPMI(c, opts)
	n := len(x.IDs)
	x.m = csr{rows: n, cols: n, ptr: make([]int, n+1)}
	// Entries of row r: columns below r come from the rows of smaller ids,
	// visited first; columns from r up from r's own pairs, sorted. So every
	// row fills in increasing column order.
	var scratch []uint64
	c.visitKept(x.index, &scratch, func(a, b int, count uint32) {
		if p.at(a, b, count) > 0 {
			x.m.ptr[x.index[a]+1]++
		}
		if a != b && p.at(b, a, count) > 0 {
			x.m.ptr[x.index[b]+1]++
		}
	})
	for i := range n {
		x.m.ptr[i+1] += x.m.ptr[i]
	}
	x.m.col = make([]int32, x.m.ptr[n])
	x.m.val = make([]float32, x.m.ptr[n])
	fill := slices.Clone(x.m.ptr[:n])
	put := func(w, ctx int, v float64) {
		r := x.index[w]
		x.m.col[fill[r]] = x.index[ctx]
		x.m.val[fill[r]] = float32(v)
		fill[r]++
	}
	c.visitKept(x.index, &scratch, func(a, b int, count uint32) {
		if v := p.at(a, b, count); v > 0 {
			put(a, b, v)
		}
		if v := p.at(b, a, count); a != b && v > 0 {
			put(b, a, v)
		}
	})
	return x, nil
}

// visitKept calls f for every pair (a ≤ b) of kept tokens, by increasing
// a and then b.
func (c *Counts) visitKept(index []int32, scratch *[]uint64, f func(a, b int, count uint32)) {
	for a := range c.rows {
		if index[a] < 0 || c.rows[a].n == 0 {
			continue
		}
		s := (*scratch)[:0]
		c.rows[a].each(func(b int, n uint32) {
			if index[b] >= 0 {
				s = append(s, uint64(b)<<32|uint64(n))
			}
		})
		slices.Sort(s)
		for _, e := range s {
			f(a, int(e>>32), uint32(e))
		}
		*scratch = s
	}
}

// pmi computes the shifted, smoothed PMI of a pair from its count.
type pmi struct {
	logMass []float64 // by id: log #(w)
	alpha   float64
	offset  float64 // log Σ #(c)^α − log Shift
}

func newPMI(c *Counts, opts VectorOptions) pmi {
	p := pmi{logMass: make([]float64, len(c.mass)), alpha: opts.Alpha}
	z := 0.0
	for id, m := range c.mass {
		if m > 0 {
			p.logMass[id] = math.Log(float64(m))
			z += math.Exp(opts.Alpha * p.logMass[id])
		}
	}
	p.offset = math.Log(z) - math.Log(opts.Shift)
	return p
}

// at returns the PMI of word w in context ctx, the pair having the
// stored (half-diagonal) count.
func (p pmi) at(w, ctx int, count uint32) float64 {
	n := float64(count)
	if w == ctx {
		n *= 2
	}
	return math.Log(n) + p.offset - p.logMass[w] - p.alpha*p.logMass[ctx]
}

// Len returns the number of tokens (rows) of the matrix.
func (x *Matrix) Len() int { return len(x.IDs) }

// NonZero returns the number of positive entries.
func (x *Matrix) NonZero() int { return len(x.m.col) }

// At returns the entry for token w in context ctx (token ids), 0 when
// either has no row.
func (x *Matrix) At(w, ctx int) float64 {
	if w < 0 || w >= len(x.index) || ctx < 0 || ctx >= len(x.index) {
		return 0
	}
	i, j := x.index[w], x.index[ctx]
	if i < 0 || j < 0 {
		return 0
	}
	return x.m.at(int(i), int(j))
}
