package tokenizer

// Merging. At every step the adjacent pair with the lowest merge rank is
// merged, the leftmost one among equals; this is what the reference's
// priority queue computes. Short words scan an array of pair ranks; long
// ones use a heap so that pathological inputs stay O(n log n).

const heapThreshold = 128

const noRank = int32(1<<31 - 1)

func (m *bpe) mergeAll(syms []int32, ws *workspace) []int32 {
	if len(syms) < 2 {
		return syms
	}
	if len(syms) > heapThreshold {
		return m.mergeHeap(syms, ws)
	}
	return m.mergeScan(syms, ws)
}

func (m *bpe) rule(a, b int32) (mergeRule, bool) {
	r, ok := m.merges[pairKey(a, b)]
	return r, ok
}

// mergeScan keeps syms compact and ranks[i] = rank of (syms[i], syms[i+1]).
func (m *bpe) mergeScan(syms []int32, ws *workspace) []int32 {
	ranks := ws.ranks[:0]
	ids := ws.newIDs[:0]
	for i := 0; i+1 < len(syms); i++ {
		r, ok := m.rule(syms[i], syms[i+1])
		if !ok {
			r.rank = noRank
		}
		ranks = append(ranks, r.rank)
		ids = append(ids, r.id)
	}
	for {
		best := -1
		bestRank := noRank
		for i, r := range ranks {
			if r < bestRank {
				best, bestRank = i, r
			}
		}
		if best < 0 {
			break
		}
		syms[best] = ids[best]
		syms = append(syms[:best+1], syms[best+2:]...)
		ranks = append(ranks[:best], ranks[best+1:]...)
		ids = append(ids[:best], ids[best+1:]...)
		// Recompute the pairs that now involve the merged symbol.
		if best > 0 {
			ranks[best-1], ids[best-1] = m.rankOf(syms[best-1], syms[best])
		}
		if best < len(ranks) {
			ranks[best], ids[best] = m.rankOf(syms[best], syms[best+1])
		}
	}
	ws.ranks, ws.newIDs = ranks, ids
	return syms
}

func (m *bpe) rankOf(a, b int32) (int32, int32) {
	if r, ok := m.rule(a, b); ok {
		return r.rank, r.id
	}
	return noRank, 0
}

// A node is one symbol of a word being merged with the heap: a doubly
// linked list over the original positions.
type node struct {
	id         int32
	prev, next int32
	dead       bool
}

type candidate struct {
	rank, pos, id int32
}

func less(a, b candidate) bool {
	return a.rank < b.rank || (a.rank == b.rank && a.pos < b.pos)
}

func (m *bpe) mergeHeap(syms []int32, ws *workspace) []int32 {
	nodes := ws.nodes[:0]
	for i, id := range syms {
		nodes = append(nodes, node{id: id, prev: int32(i - 1), next: int32(i + 1)})
	}
	nodes[len(nodes)-1].next = -1
	h := ws.heap[:0]
	push := func(pos int32) {
		nx := nodes[pos].next
		if nx < 0 {
			return
		}
		if r, ok := m.rule(nodes[pos].id, nodes[nx].id); ok {
			h = heapPush(h, candidate{r.rank, pos, r.id})
		}
	}
	for i := range nodes {
		push(int32(i))
	}
	for len(h) > 0 {
		var top candidate
		top, h = heapPop(h)
		n := &nodes[top.pos]
		if n.dead || n.next < 0 {
			continue
		}
		right := &nodes[n.next]
		if r, ok := m.rule(n.id, right.id); !ok || r.id != top.id {
			continue // stale: one of the two symbols has changed since
		}
		n.id = top.id
		right.dead = true
		n.next = right.next
		if n.next >= 0 {
			nodes[n.next].prev = top.pos
		}
		if n.prev >= 0 {
			push(n.prev)
		}
		push(top.pos)
	}
	syms = syms[:0]
	for i := int32(0); i >= 0; i = nodes[i].next {
		syms = append(syms, nodes[i].id)
	}
	ws.nodes, ws.heap = nodes, h
	return syms
}

func heapPush(h []candidate, c candidate) []candidate {
	h = append(h, c)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

func heapPop(h []candidate) (candidate, []candidate) {
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h = h[:last]
	i := 0
	for {
		l, r, small := 2*i+1, 2*i+2, i
		if l < len(h) && less(h[l], h[small]) {
			small = l
		}
		if r < len(h) && less(h[r], h[small]) {
			small = r
		}
		if small == i {
			break
		}
		h[i], h[small] = h[small], h[i]
		i = small
	}
	return top, h
}
