package transplant

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/transplant-dev/transplant/align"
	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/heuristics"
	"github.com/transplant-dev/transplant/tokenizer"
)

// DefaultHoldOut is the number of tokens HoldOut holds out unless told
// otherwise: enough for percentiles to be stable to about ±0.01 in cosine,
// few enough that methods run in seconds.
const DefaultHoldOut = 1000

// HoldOutOptions say which shared tokens HoldOut hands to methods as new.
type HoldOutOptions struct {
	// N is the number of shared tokens to hold out; 0 means Fraction of
	// them when that is set, else DefaultHoldOut. It is capped at the
	// number of eligible tokens.
	N int
	// Fraction is the share of eligible tokens to hold out when N is 0.
	Fraction float64
	// Seed chooses the sample and seeds random methods.
	Seed uint64
}

// ErrNothingToHoldOut reports a vocabulary pair without an ordinary shared
// token of two bytes or more.
var ErrNothingToHoldOut = errors.New("transplant: reconstruction: no ordinary shared token to hold out")

// HoldOut makes reconstruction problems: a seeded random sample of
// ordinary shared tokens, handed to methods as if they were new — pieces
// cut by the old tokenizer as if the token were not in its vocabulary,
// anchors that leave out every held-out token — with each token's true row,
// for every table. Each held-out token is missing alone: its pieces may be
// other held-out tokens, whose rows stay in the base table.
func (s *Session) HoldOut(o HoldOutOptions) (*eval.Reconstruction, error) {
	eligible := s.eligible()
	held := sample(eligible, o.sampleSize(len(eligible)), o.Seed)
	if len(held) == 0 {
		return nil, ErrNothingToHoldOut
	}
	targets, truth, anchors := s.holdOut(held)
	r := &eval.Reconstruction{Seed: o.Seed, Eligible: len(eligible), Anchors: len(anchors)}
	for _, h := range held {
		r.HeldOut = append(r.HeldOut, h.New)
	}
	for _, t := range s.tables {
		var buf scratch // each problem keeps its own tables
		p, _, err := s.problem(t, targets, anchors, o.Seed, &buf)
		if err != nil {
			return nil, err
		}
		r.Tables = append(r.Tables, eval.ReconstructionTable{Role: t.Role, Tensor: t.Tensor, Problem: p, Truth: truth})
	}
	return r, nil
}

func (o HoldOutOptions) sampleSize(eligible int) int {
	n := o.N
	if n <= 0 && o.Fraction > 0 {
		n = int(math.Round(o.Fraction * float64(eligible)))
	}
	if n <= 0 {
		n = DefaultHoldOut
	}
	return min(n, eligible)
}

// A shared token: its id in the new vocabulary and in the old one.
type shared struct{ New, Old int }

// eligible lists the shared tokens that can stand in for new ones, by new
// id: matched on their bytes (not special, not byte-fallback), at least two
// bytes long (single bytes are the alphabet of byte-level vocabularies and
// never new), with a row in every table, each old token once.
func (s *Session) eligible() []shared {
	rows := math.MaxInt
	for _, t := range s.tables {
		rows = min(rows, t.RealRows)
	}
	a := s.alignment
	seen := map[int]bool{}
	var out []shared
	for id, k := range a.Kind {
		if k != align.Exact && k != align.ByBytes {
			continue
		}
		old := a.Source[id]
		if old >= rows || seen[old] || !ordinary(s.oldTok.Surface(old)) || !ordinary(s.newTok.Surface(id)) {
			continue
		}
		seen[old] = true
		out = append(out, shared{New: id, Old: old})
	}
	return out
}

// ordinary reports whether t is ordinary text of two bytes or more.
func ordinary(t tokenizer.Surface) bool {
	return !t.Special && !t.ByteFallback && !t.Unused && len(t.Bytes) >= 2
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
func (s *Session) holdOut(held []shared) (targets []heuristics.Target, truth []int, anchors []heuristics.Anchor) {
	isHeld := make(map[int]bool, len(held))
	for _, h := range held {
		isHeld[h.New] = true
		b := s.newTok.Surface(h.New).Bytes
		pieces := piecesOf(s.oldTok, s.oldTok.EncodeSurfaceExcluding(b, h.Old))
		targets = append(targets, heuristics.Target{NewID: h.New, Bytes: len(b), Pieces: pieces})
		truth = append(truth, h.Old)
	}
	a := s.alignment
	for id, k := range a.Kind {
		if (k == align.Exact || k == align.ByBytes) && !isHeld[id] {
			anchors = append(anchors, heuristics.Anchor{Old: a.Source[id], New: id})
		}
	}
	return targets, truth, anchors
}
