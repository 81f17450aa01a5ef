package omp

import "errors"

// gramCache holds Gram columns g_s = R d_s (the correlation of every
// screening row with atom s) for the atoms targets have chosen. Targets of
// one batch pin the columns of their supports; when the cache is full, the
// least recently pinned unpinned column makes room.
//
// Methods that change the cache run while no target advances; col is safe
// for concurrent use in between.
type gramCache[F float] struct {
	n      int // column length: the number of anchors
	data   []F
	slot   []int32 // by atom: its slot, or -1
	atom   []int32 // by slot: its atom, or -1
	pinned []bool  // by slot
	used   []int64 // by slot: the round it was last pinned in
	next   int     // slots from next on have never been used
	round  int64
}

var errCacheFull = errors.New("omp: internal error: Gram cache full of pinned columns")

func newGramCache[F float](anchors, capacity int) *gramCache[F] {
	c := &gramCache[F]{
		n:      anchors,
		data:   make([]F, capacity*anchors),
		slot:   make([]int32, anchors),
		atom:   make([]int32, capacity),
		pinned: make([]bool, capacity),
		used:   make([]int64, capacity),
	}
	for i := range c.slot {
		c.slot[i] = -1
	}
	for i := range c.atom {
		c.atom[i] = -1
	}
	return c
}

// col returns atom a's column, or nil when the cache does not hold it.
func (c *gramCache[F]) col(a int32) []F {
	s := int(c.slot[a])
	if s < 0 {
		return nil
	}
	return c.data[s*c.n : (s+1)*c.n]
}

// pin keeps atom a's column, if held, until unpinAll.
func (c *gramCache[F]) pin(a int32) {
	if s := c.slot[a]; s >= 0 {
		c.pinned[s] = true
		c.used[s] = c.round
	}
}

// unpinAll releases every column, at the end of a batch.
func (c *gramCache[F]) unpinAll() {
	for i := range c.pinned {
		c.pinned[i] = false
	}
}

// insert makes room for atom a's column, pinned, and returns it for the
// caller to fill.
func (c *gramCache[F]) insert(a int32) ([]F, error) {
	s := c.next
	if s < len(c.atom) {
		c.next++
	} else {
		s = -1
		for i, p := range c.pinned {
			if !p && (s < 0 || c.used[i] < c.used[s]) {
				s = i
			}
		}
		if s < 0 {
			return nil, errCacheFull
		}
		c.slot[c.atom[s]] = -1
	}
	c.atom[s] = a
	c.slot[a] = int32(s)
	c.pinned[s] = true
	c.used[s] = c.round
	return c.data[s*c.n : (s+1)*c.n], nil
}
