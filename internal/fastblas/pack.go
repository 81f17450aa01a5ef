package fastblas

// packX lays X[i:i+m, l:l+k] out for the kernel in slivers of mr rows, each
// stored step after step of k (element (r, q) of sliver s at s·mr·k + q·mr
// + r), with rows past m set to zero. With inPlace, whole slivers are left
// for the kernel to read from X itself and only a partial last one is
// packed.
func (p *product) packX(ws *workspace, i, m, l, k int, inPlace bool) []float32 {
	if p.x.trans {
		return p.packXTrans(grow(&ws.x, roundUp(m, mr)*k), i, m, l, k)
	}
	first := 0
	if inPlace {
		first = m / mr * mr
	}
	dst := grow(&ws.x, roundUp(m-first, mr)*k)
	for s := first; s < m; s += mr {
		sl := dst[(s-first)*k : (s-first+mr)*k]
		rows := min(mr, m-s)
		q0 := 0
		if rows == mr && k >= 8 {
			// The transpose of eight steps at a time, in assembly.
			q0 = k &^ 7
			packN6(&sl[0], &p.x.data[(i+s)*p.x.ld+l], p.x.ld, q0)
		}
		for r := range mr {
			if r >= rows {
				for q := range k {
					sl[q*mr+r] = 0
				}
				continue
			}
			src := p.x.data[(i+s+r)*p.x.ld+l : (i+s+r)*p.x.ld+l+k]
			for q := q0; q < k; q++ {
				sl[q*mr+r] = src[q]
			}
		}
	}
	return dst
}

// packXTrans is packX for an X stored transposed, where step q of every
// sliver lies in row l+q of the storage. It goes through the rows sixteen
// at a time, so that it reads a few lines of each row and writes runs of
// each sliver rather than one short piece of every sliver per row (slivers
// lie a multiple of 2 KiB apart and would fight over cache sets).
func (p *product) packXTrans(dst []float32, i, m, l, k int) []float32 {
	const group = 16
	whole := m / mr * mr
	for q0 := 0; q0 < k; q0 += group {
		q1 := min(k, q0+group)
		for s := 0; s < whole; s += mr {
			for q := q0; q < q1; q++ {
				at := (l+q)*p.x.ld + i + s
				src := p.x.data[at : at+mr : at+mr]
				out := dst[s*k+q*mr : s*k+q*mr+mr : s*k+q*mr+mr]
				out[0], out[1], out[2], out[3], out[4], out[5] = src[0], src[1], src[2], src[3], src[4], src[5]
			}
		}
		if whole == m {
			continue
		}
		for q := q0; q < q1; q++ {
			at := (l+q)*p.x.ld + i
			out := dst[whole*k+q*mr : whole*k+q*mr+mr]
			for r := range out {
				out[r] = 0
				if whole+r < m {
					out[r] = p.x.data[at+whole+r]
				}
			}
		}
	}
	return dst
}

// packY copies Y[l:l+k, j:j+n] into slivers of nr columns, each stored
// row after row (element (q, c) of sliver t at t·nr·k + q·nr + c), with
// columns past n set to zero.
func (p *product) packY(ws *workspace, j, n, l, k int) []float32 {
	y := p.y
	dst := grow(&ws.y, roundUp(n, nr)*k)
	for t := 0; t < n; t += nr {
		sl := dst[t*k : (t+nr)*k]
		cols := min(nr, n-t)
		if !y.trans && cols == nr {
			for q := range k {
				off := (l+q)*y.ld + j + t
				*(*[nr]float32)(sl[q*nr:]) = *(*[nr]float32)(y.data[off:])
			}
			continue
		}
		if !y.trans {
			for q := range k {
				src := y.data[(l+q)*y.ld+j+t:]
				out := sl[q*nr : q*nr+nr]
				copy(out, src[:cols])
				clear(out[cols:])
			}
			continue
		}
		// Row q of the sliver is column l+q of the stored rows j+t...: a
		// transpose, done eight steps at a time in assembly.
		q0 := 0
		if cols == nr {
			q0 = k &^ 7
			if q0 > 0 {
				packT16(&sl[0], &y.data[(j+t)*y.ld+l], y.ld, q0)
			}
		}
		for c := range nr {
			if c >= cols {
				for q := q0; q < k; q++ {
					sl[q*nr+c] = 0
				}
				continue
			}
			src := y.data[(j+t+c)*y.ld+l : (j+t+c)*y.ld+l+k]
			for q := q0; q < k; q++ {
				sl[q*nr+c] = src[q]
			}
		}
	}
	return dst
}

// grow returns (*buf)[:n], reallocating only when the buffer is too small.
func grow(buf *[]float32, n int) []float32 {
	if cap(*buf) < n {
		*buf = make([]float32, n)
	}
	return (*buf)[:n]
}
