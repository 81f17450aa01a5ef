package omp

import "errors"

// tileRows is the number of anchors in a block: the unit in which the
// correlation update reads Gram columns and the screen keeps maxima. 64
// float32 values are eight AVX registers.
const tileRows = 64

// gramCache holds Gram columns g_s = R d_s (the correlation of every
// screening row with atom s) for the atoms targets have chosen. Targets of
// one batch pin the columns of their supports; when the cache is full, the
// least recently pinned unpinned column makes room.
//
// Columns are stored by block of tileRows anchors: the slices of every
// cached column for one block lie together, one after another by slot. The
// update works block by block for all targets at once, so that a block's
// slices of the columns in use stay in cache while every target reads
// them.
//
// Methods that change the cache run while no target advances; slot and
// block are safe for concurrent use in between.
type gramCache[F float] struct {
	blocks int // ⌈anchors/tileRows⌉
	cap    int // slots
	data   []F // blocks × cap × tileRows; rows past the anchors stay zero
	slots  []int32
	atom   []int32 // by slot: its atom, or -1
	pinned []bool  // by slot
	used   []int64 // by slot: the round it was last pinned in
	next   int     // slots from next on have never been used
	round  int64
}

var errCacheFull = errors.New("omp: internal error: Gram cache full of pinned columns")

func newGramCache[F float](anchors, capacity int) *gramCache[F] {
	blocks := (anchors + tileRows - 1) / tileRows
	c := &gramCache[F]{
		blocks: blocks,
		cap:    capacity,
		data:   make([]F, blocks*capacity*tileRows),
		slots:  make([]int32, anchors),
		atom:   make([]int32, capacity),
		pinned: make([]bool, capacity),
		used:   make([]int64, capacity),
	}
	for i := range c.slots {
		c.slots[i] = -1
	}
	for i := range c.atom {
		c.atom[i] = -1
	}
	return c
}

// slot returns the slot of atom a's column, or -1 when the cache does not
// hold it.
func (c *gramCache[F]) slot(a int32) int32 { return c.slots[a] }

// block returns the cached columns' values for anchors [b·tileRows,
// (b+1)·tileRows): the tileRows values of the column in slot s start at
// s·tileRows.
func (c *gramCache[F]) block(b int) []F {
	return c.data[b*c.cap*tileRows : (b+1)*c.cap*tileRows]
}

// pin keeps atom a's column, if held, until unpinAll.
func (c *gramCache[F]) pin(a int32) {
	if s := c.slots[a]; s >= 0 {
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

// insert stores col, atom a's column padded to a whole number of blocks,
// pinned, in a free slot or in place of the least recently used unpinned
// column.
func (c *gramCache[F]) insert(a int32, col []F) error {
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
			return errCacheFull
		}
		c.slots[c.atom[s]] = -1
	}
	c.atom[s] = a
	c.slots[a] = int32(s)
	c.pinned[s] = true
	c.used[s] = c.round
	for b := range c.blocks {
		copy(c.data[(b*c.cap+s)*tileRows:(b*c.cap+s+1)*tileRows], col[b*tileRows:(b+1)*tileRows])
	}
	return nil
}
