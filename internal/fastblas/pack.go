package fastblas

// packX lays X[i:i+m, l:l+k] out for the kernel in slivers of mr rows, each
// stored step after step of k (element (r, q) of sliver s at s·mr·k + q·mr
// + r), with rows past m set to zero. With inPlace, whole slivers are left
// for the kernel to read from X itself and only a partial last one is
// packed.
func (p *product) packX(ws *workspace, i, m, l, k int, inPlace bool) []float32 {
	x := p.x
	first := 0
	if inPlace {
		first = m / mr * mr
	}
	dst := grow(&ws.x, roundUp(m-first, mr)*k)
	for s := first; s < m; s += mr {
		sl := dst[(s-first)*k : (s-first+mr)*k]
		rows := min(mr, m-s)
		switch {
		case x.trans && rows == mr:
			// Step q of the sliver is contiguous in X's storage.
			for q := range k {
				off := (l+q)*x.ld + i + s
				*(*[mr]float32)(sl[q*mr:]) = *(*[mr]float32)(x.data[off:])
			}
			continue
		case x.trans:
			for q := range k {
				src := x.data[(l+q)*x.ld+i+s:]
				out := sl[q*mr : q*mr+mr]
				copy(out, src[:rows])
				clear(out[rows:])
			}
			continue
		case rows == mr && k >= 8:
			packN6(&sl[0], &x.data[(i+s)*x.ld+l], x.ld, k&^7)
		}
		q0 := 0
		if rows == mr {
			q0 = k &^ 7
		}
		for r := range mr {
			if r >= rows {
				for q := range k {
					sl[q*mr+r] = 0
				}
				continue
			}
			src := x.data[(i+s+r)*x.ld+l : (i+s+r)*x.ld+l+k]
			for q := q0; q < k; q++ {
				sl[q*mr+r] = src[q]
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
