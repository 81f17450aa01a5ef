package eval

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/tokenizer"
)

// A shared token: its id in the new vocabulary and in the old one.
type shared struct{ New, Old int }

// eligible lists the shared tokens that can stand in for new ones, by new
// id: matched on their bytes (not special, not byte-fallback), at least two
// bytes long (single bytes are the alphabet of byte-level vocabularies and
// never new), with a row in every table, each old token once.
func (r *Reconstruction) eligible() []shared {
	rows := math.MaxInt
	for _, t := range r.Tables {
		rows = min(rows, t.Base.Rows)
	}
	a := r.Alignment
	seen := map[int]bool{}
	var out []shared
	for id, k := range a.Kind {
		if k != align.Exact && k != align.ByBytes {
			continue
		}
		old := a.Source[id]
		so, sn := r.Old.Surface(old), r.New.Surface(id)
		if old >= rows || seen[old] || !ordinary(so) || !ordinary(sn) {
			continue
		}
		seen[old] = true
		out = append(out, shared{New: id, Old: old})
	}
	return out
}

// ordinary reports whether s is ordinary text of two bytes or more.
func ordinary(s tokenizer.Surface) bool {
	return !s.Special && !s.ByteFallback && !s.Unused && len(s.Bytes) >= 2
}

func (o ReconstructOptions) sampleSize(eligible int) int {
	n := o.HoldOut
	if n <= 0 && o.HoldOutFraction > 0 {
		n = int(math.Round(o.HoldOutFraction * float64(eligible)))
	}
	if n <= 0 {
		n = DefaultHoldOut
	}
	return min(n, eligible)
}

// sample draws n of the tokens without replacement, seeded, and returns
// them in new-id order.
func sample(tokens []shared, n int, seed uint64) []shared {
	s := slices.Clone(tokens)
	rng := rand.New(rand.NewPCG(seed, 0x7472616e73706c61)) // "transpla"
	for i := range n {
		j := i + rng.IntN(len(s)-i)
		s[i], s[j] = s[j], s[i]
	}
	s = s[:n]
	slices.SortFunc(s, func(a, b shared) int { return a.New - b.New })
	return s
}

// holdOut turns the held-out tokens into targets, as a transplant would
// see them had the old vocabulary lacked each one, and returns their old
// ids (the rows to compare with) and the anchors that remain.
func (r *Reconstruction) holdOut(held []shared) (targets []heuristics.Target, truth []int, anchors []heuristics.Anchor) {
	isHeld := make(map[int]bool, len(held))
	for _, h := range held {
		isHeld[h.New] = true
		b := r.New.Surface(h.New).Bytes
		t := heuristics.Target{NewID: h.New, Bytes: len(b)}
		for _, p := range r.Old.EncodeSurfaceExcluding(b, h.Old) {
			t.Pieces = append(t.Pieces, heuristics.Piece{ID: p, Bytes: len(r.Old.Surface(p).Bytes)})
		}
		targets = append(targets, t)
		truth = append(truth, h.Old)
	}
	a := r.Alignment
	for id, k := range a.Kind {
		if (k == align.Exact || k == align.ByBytes) && !isHeld[id] {
			anchors = append(anchors, heuristics.Anchor{Old: a.Source[id], New: id})
		}
	}
	return targets, truth, anchors
}
