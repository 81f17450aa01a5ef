package cooc

import "math"

// A pairTable holds one row of the co-occurrence counts: partner id →
// weighted count, by open addressing with linear probing. A slot is
// (partner+1)<<32 | count, so that a lookup touches one word and zero
// means empty. Counts saturate at math.MaxUint32 instead of wrapping.
type pairTable struct {
	slots []uint64
	n     int
	shift uint8 // 32 − log2(len(slots))
}

const minTableSize = 4

// add adds w to the count of partner and reports whether the pair is new.
func (t *pairTable) add(partner uint32, w uint32) bool {
	if 4*(t.n+1) > 3*len(t.slots) {
		t.grow()
	}
	key := uint64(partner+1) << 32
	mask := len(t.slots) - 1
	for i := t.home(partner); ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			t.slots[i] = key | uint64(w)
			t.n++
			return true
		}
		if s&^math.MaxUint32 == key {
			c := uint32(s)
			t.slots[i] = key | uint64(c+min(w, math.MaxUint32-c))
			return false
		}
	}
}

// home is the slot a partner's probe starts at (Fibonacci hashing).
func (t *pairTable) home(partner uint32) int {
	return int((partner * 0x9E3779B1) >> t.shift)
}

func (t *pairTable) grow() {
	t.rebuild(max(2*len(t.slots), minTableSize), 0)
}

// prune drops the pairs whose count is below floor and returns how many.
func (t *pairTable) prune(floor uint32) int {
	kept := 0
	for _, s := range t.slots {
		if s != 0 && uint32(s) >= floor {
			kept++
		}
	}
	dropped := t.n - kept
	if dropped == 0 {
		return 0
	}
	size := minTableSize
	for 4*kept > 3*size {
		size *= 2
	}
	if kept == 0 {
		*t = pairTable{}
		return dropped
	}
	t.rebuild(size, floor)
	return dropped
}

// rebuild moves the pairs with count ≥ floor into a table of size slots.
func (t *pairTable) rebuild(size int, floor uint32) {
	old := t.slots
	t.slots = make([]uint64, size)
	t.shift = uint8(32 - log2(size))
	t.n = 0
	mask := size - 1
	for _, s := range old {
		if s == 0 || uint32(s) < floor {
			continue
		}
		i := t.home(uint32(s>>32) - 1)
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
		t.n++
	}
}

// each calls f for every pair of the row, in slot order.
func (t *pairTable) each(f func(partner int, count uint32)) {
	for _, s := range t.slots {
		if s != 0 {
			f(int(s>>32)-1, uint32(s))
		}
	}
}

// get returns the count of partner, or 0.
func (t *pairTable) get(partner uint32) uint32 {
	if t.n == 0 {
		return 0
	}
	key := uint64(partner+1) << 32
	mask := len(t.slots) - 1
	for i := t.home(partner); ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return 0
		}
		if s&^math.MaxUint32 == key {
			return uint32(s)
		}
	}
}

func log2(n int) int {
	k := 0
	for 1<<k < n {
		k++
	}
	return k
}
