package fastblas

import (
	"sync"
	"sync/atomic"
)

// Register tile and cache blocks. The kernel keeps an mr×nr tile of C in
// registers; a kb×nr sliver of packed Y (16 KiB at kb = 256) stays in L1
// while the mb×kb block of X (144 KiB) streams from L2 and the kb×nb panel
// of packed Y (2 MiB) sits in L3. The sizes suit any AVX2 laptop or server
// core: L1 ≥ 32 KiB, L2 ≥ 256 KiB.
const (
	mr, nr = 6, 16
	kc     = 256
	mc     = 144
	nc     = 2048
)

// operand is one factor of a product as stored: element (r, l) of a left
// factor, or (l, r) of a right one, is data[r·ld+l] when trans is false
// and data[l·ld+r] when it is true. For the left factor trans false means
// row-major, which the kernel reads in place; for the right factor trans
// false means the k-major layout packing copies row by row.
type operand struct {
	data  []float32
	ld    int
	trans bool
}

// product is one Sgemm call after its arguments were checked, as D = X·Y
// with X m×k and Y k×n. D is C, or Cᵀ when cT is set: Sgemm swaps the
// factors when that spares a transposing copy of the larger one.
type product struct {
	m, n, k     int
	x, y        operand
	alpha, beta float32
	c           []float32
	ldc         int
	cT          bool
}

// inPlaceMax is the widest panel of Y for which the kernel reads a
// row-major X in place instead of packing it. Packing copies X once;
// reading in place costs nothing for one pass but every further pass (one
// per sliver of Y) may miss the cache: rows whose stride is a multiple of
// 4 KiB collide in the same cache sets.
const inPlaceMax = 32

// piece is the block D[i0:i1, j0:j1] that one goroutine computes whole.
type piece struct{ i0, i1, j0, j1 int }

// workspace holds one goroutine's packing buffers; pooled so that large
// calls make no garbage.
type workspace struct {
	x, y []float32
	tile [mr * nr]float32
}

var workspaces = sync.Pool{New: func() any { return new(workspace) }}

// run computes the product on up to threads goroutines.
func (p *product) run(threads int) {
	pieces := p.split(threads)
	if len(pieces) == 1 || threads == 1 {
		ws := workspaces.Get().(*workspace)
		for _, pc := range pieces {
			p.piece(ws, pc)
		}
		workspaces.Put(ws)
		return
	}
	// Goroutines take pieces in turn rather than one fixed share each, so a
	// core slowed by other work does not hold up the rest.
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(threads, len(pieces)) {
		wg.Go(func() {
			ws := workspaces.Get().(*workspace)
			for i := int(next.Add(1) - 1); i < len(pieces); i = int(next.Add(1) - 1) {
				p.piece(ws, pieces[i])
			}
			workspaces.Put(ws)
		})
	}
	wg.Wait()
}

// split cuts D into pieces along its longer side, for threads goroutines.
// Each piece packs its own panels, which costs about 8/side of its
// multiply-adds for a piece side long (an element copied costs as much as
// sixteen lanes of multiply-add), so pieces are at least minSide long; and
// each is worth at least minWork multiply-adds, some tens of microseconds,
// next to the microseconds of starting a goroutine.
func (p *product) split(threads int) []piece {
	const (
		minSide = 64
		minWork = 1 << 20
	)
	long, unit := p.n, nr
	if p.m > p.n {
		long, unit = p.m, mr
	}
	parts := min(2*threads, long/minSide, p.m*p.n*p.k/minWork)
	if parts > threads {
		// A whole number of parts per goroutine keeps them finishing
		// together on idle cores; two each let one slowed by other work
		// hand its second over.
		parts = parts / threads * threads
	}
	size := roundUp(ceilDiv(long, max(1, parts)), unit)
	var ps []piece
	for at := 0; at < long; at += size {
		end := min(long, at+size)
		if long == p.n {
			ps = append(ps, piece{0, p.m, at, end})
		} else {
			ps = append(ps, piece{at, end, 0, p.n})
		}
	}
	return ps
}

// piece computes D[i0:i1, j0:j1] with the usual five loops around the
// kernel: panels of Y (nc columns), slabs of k (kc), blocks of X (mc rows),
// then slivers of Y and of X.
func (p *product) piece(ws *workspace, pc piece) {
	nb := blockSize(pc.j1-pc.j0, nc, nr)
	kb := blockSize(p.k, kc, 1)
	mb := blockSize(pc.i1-pc.i0, mc, mr)
	for j := pc.j0; j < pc.j1; j += nb {
		n := min(nb, pc.j1-j)
		for l := 0; l < p.k; l += kb {
			k := min(kb, p.k-l)
			beta := p.beta
			if l > 0 {
				beta = 1
			}
			yp := p.packY(ws, j, n, l, k)
			for i := pc.i0; i < pc.i1; i += mb {
				m := min(mb, pc.i1-i)
				inPlace := !p.x.trans && n <= inPlaceMax
				xp := p.packX(ws, i, m, l, k, inPlace)
				p.macro(ws, xp, yp, i, m, j, n, l, k, beta, inPlace)
			}
		}
	}
}

// blockSize returns the block length, a multiple of unit no larger than
// roughly max, that cuts n into equal blocks: 300 columns become two blocks
// of 150 rather than 256 and 44.
func blockSize(n, max, unit int) int {
	return roundUp(ceilDiv(n, ceilDiv(n, max)), unit)
}

// macro multiplies X[i:i+m, l:l+k] by the packed panel Y[l:l+k, j:j+n] into
// D[i:i+m, j:j+n], tile by tile. Tiles that stick out of D, or land
// transposed in C, are computed into the workspace and merged.
func (p *product) macro(ws *workspace, xp, yp []float32, i, m, j, n, l, k int, beta float32, inPlace bool) {
	load := 0
	if beta != 0 {
		load = 1
	}
	for jr := 0; jr < n; jr += nr {
		y := &yp[jr*k]
		nn := min(nr, n-jr)
		for ir := 0; ir < m; ir += mr {
			mm := min(mr, m-ir)
			x, rs, ks := p.xSliver(xp, i, ir, mm, l, k, inPlace)
			switch {
			case mm < mr || nn < nr:
			case p.cT:
				kernel6x16T(k, x, rs, ks, y, &p.c[(j+jr)*p.ldc+i+ir], p.ldc, p.alpha, beta, load)
				continue
			default:
				kernel6x16(k, x, rs, ks, y, &p.c[(i+ir)*p.ldc+j+jr], p.ldc, p.alpha, beta, load)
				continue
			}
			kernel6x16(k, x, rs, ks, y, &ws.tile[0], nr, p.alpha, 0, 0)
			p.merge(ws.tile[:], i+ir, mm, j+jr, nn, beta, load != 0)
		}
	}
}

// xSliver returns the address and the byte strides (between rows, between
// steps of k) of the X sliver at rows i+ir: in X itself when packX left it
// in place, in the packed block otherwise.
func (p *product) xSliver(xp []float32, i, ir, mm, l, k int, inPlace bool) (x *float32, rs, ks int) {
	if !inPlace {
		return &xp[ir*k], 4, 4 * mr
	}
	if mm == mr {
		return &p.x.data[(i+ir)*p.x.ld+l], 4 * p.x.ld, 4
	}
	return &xp[0], 4, 4 * mr
}

// merge writes the top-left mm×nn corner of tile (alpha·XY, row stride nr)
// to D[i:i+mm, j:j+nn], adding beta·D when load is set.
func (p *product) merge(tile []float32, i, mm, j, nn int, beta float32, load bool) {
	if p.cT {
		i, j, mm, nn = j, i, nn, mm
	}
	// Element (r, q) of the block of C is tile[r·rs + q·qs].
	rs, qs := nr, 1
	if p.cT {
		rs, qs = 1, nr
	}
	for r := range mm {
		dst := p.c[(i+r)*p.ldc+j : (i+r)*p.ldc+j+nn]
		for q := range dst {
			v := tile[r*rs+q*qs]
			if load {
				v += beta * dst[q]
			}
			dst[q] = v
		}
	}
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

func roundUp(a, unit int) int { return ceilDiv(a, unit) * unit }
