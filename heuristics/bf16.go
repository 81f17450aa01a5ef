package heuristics

import (
	"encoding/binary"
	"math"
)

// A BF16RowSource is a RowSource of a table stored in bfloat16 (most
// checkpoints' tables) that can also read its rows as stored.
// ColumnMeanOf and SourceRowWriter then widen each value as they add it,
// instead of widening every row read into a float32 copy first: the
// values, and so the sums, are the same bit for bit.
type BF16RowSource interface {
	RowSource
	// ReadBF16Rows writes rows [start, end) into dst as little-endian
	// bfloat16, two bytes a value.
	ReadBF16Rows(dst []byte, start, end int) error
}

// addBF16 adds w times the bfloat16 row src to acc, len(src) == 2*len(acc):
// acc[j] += w * float64(v) with v the float32 the j-th value widens to, as
// combine adds a float32 row. With AVX2 it adds eight values at a time,
// to the same bits.
func addBF16(acc []float64, w float64, src []byte) {
	src = src[:2*len(acc)]
	j := 0
	if haveAVX2 {
		j = addBF16AVX2(acc, w, src)
	}
	addBF16Go(acc[j:], w, src[2*j:])
}

// addBF16Go is addBF16 in Go, four values at a time.
func addBF16Go(acc []float64, w float64, src []byte) {
	j := 0
	for ; j+4 <= len(acc); j += 4 {
		u := binary.LittleEndian.Uint64(src[2*j : 2*j+8])
		a := acc[j : j+4 : j+4]
		a[0] += w * float64(math.Float32frombits(uint32(u)<<16))
		a[1] += w * float64(math.Float32frombits(uint32(u>>16)<<16))
		a[2] += w * float64(math.Float32frombits(uint32(u>>32)<<16))
		a[3] += w * float64(math.Float32frombits(uint32(u>>48)<<16))
	}
	for ; j < len(acc); j++ {
		acc[j] += w * float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*j:]))<<16))
	}
}
