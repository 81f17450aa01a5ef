package transplant

import "slices"

// A recut row can also begin where the base's cut goes on past an old
// token into the next one. Phi-2's tokenizer takes a run of spaces whole,
// so ".  If" is "." "  " "If" where Mistral's reads "." "▁" "▁If": the
// base never predicts "  " as a token there, its row ("▁▁") scores what
// the base gives three spaces and a word, and on licenses after a full
// stop "  " cost 10 bits against the base's 1.5 for its "▁". The bytes of
// "  " begin with the old token "▁", and whether the new tokenizer then
// writes "  " depends on the base's next token ("▁If" yes, "1" or "▁▁"
// no). So each such old token b is a path to the row with the share of
// its reads, in the base's own cut of the calibration text, that the next
// token makes one (the new tokenizer begins b's bytes and the next
// token's, which go on past the row's, with the row), and the projection
// adds logit_b + log share to the row's target. How b goes on depends on
// what came before: in calib.txt "▁" goes on to a spaced word in 51% of
// its reads, but after a full stop in nearly all (two spaces between
// sentences) and after "▁=" in few (a digit's space). So the share taken
// is the one after the old token read last, from the reads after it
// shrunk towards the share over all reads as if that held for pathPrior
// reads more.
//
// Onto Phi-2's tokenizer (A, calib.txt), held-out texts in bits per byte
// relative to A (dev, Go doc comments, licenses, Python docs): the runs'
// head rows set to the base's rows for one space fewer gave
// 1.0615/1.0113/1.0293/1.0237 → 1.0551/1.0125/1.0204/1.0177.
type recutPath struct {
	old   int
	share float64
	// after holds the share after each old token read before it, shrunk
	// towards share with the weight of pathPrior reads.
	after map[int]float64
}

// minPathReads is how often the base's cut must read an old token before
// its share is trusted, and minPathShare the share a path needs: one that
// makes the row less often than not does so in some contexts and not in
// others (after "▁im" a word goes on as "port" or as "prove"), which a
// share taken after one token cannot follow. Onto Phi-2's tokenizer the runs of
// spaces go on as a spaced word in 51–100% of their reads in calib.txt,
// and the paths of pieces of words below it (" im" to " imp", 31%) moved
// no score by more than 0.0001.
const (
	minPathReads = minRecutOccurrences
	minPathShare = 0.5
	pathPrior    = minRecutOccurrences
)

// pathsOf returns, per row of rp, its paths on st's text, each row's in
// old id order.
func (rp *recutProjection) pathsOf(st *calStream, rows []recutRow, rowBytes []string) [][]recutPath {
	candidates := map[string][]pathKey{} // an old token's bytes: the rows it begins
	for k, b := range rowBytes {
		for n := 1; n < len(b); n++ {
			if id, ok := rp.old.id(b[:n]); ok {
				candidates[b[:n]] = append(candidates[b[:n]], pathKey{id, k})
			}
		}
	}
	paths := make([][]recutPath, len(rows))
	if len(candidates) == 0 {
		return paths
	}
	reads, makes := pathCounts{}, pathCounts{}
	cuts := [3]int{-1, -1, -1} // the base's last three cuts
	for o, c := range st.cut {
		if !c {
			continue
		}
		if cuts[1] >= 0 {
			b, next := string(st.text[cuts[1]:cuts[2]]), string(st.text[cuts[2]:o])
			if ks, ok := candidates[b]; ok && len(next) <= rp.old.longest {
				prev := -1
				if cuts[0] >= 0 {
					if id, ok := rp.old.id(string(st.text[cuts[0]:cuts[1]])); ok {
						prev = id
					}
				}
				for _, k := range ks {
					reads.add(k, prev)
					if len(b)+len(next) > len(rowBytes[k.row]) && rp.first(b+next) == rows[k.row].new {
						makes.add(k, prev)
					}
				}
			}
		}
		cuts = [3]int{cuts[1], cuts[2], o}
	}
	for k, n := range reads {
		m := makes[k]
		if m == nil || n.total < minPathReads || float64(m.total) < minPathShare*float64(n.total) {
			continue
		}
		p := recutPath{old: k.old, share: float64(m.total) / float64(n.total), after: map[int]float64{}}
		for prev, np := range n.after {
			p.after[prev] = (float64(m.after[prev]) + pathPrior*p.share) / (float64(np) + pathPrior)
		}
		paths[k.row] = append(paths[k.row], p)
	}
	for _, ps := range paths {
		slices.SortFunc(ps, func(a, b recutPath) int { return a.old - b.old })
	}
	return paths
}

// A pathKey is an old token and a row it may begin.
type pathKey struct{ old, row int }

// pathCounts count, per path, reads in all and after each previous token.
type pathCounts map[pathKey]*pathCount

type pathCount struct {
	total int
	after map[int]int
}

func (c pathCounts) add(k pathKey, prev int) {
	n := c[k]
	if n == nil {
		n = &pathCount{after: map[int]int{}}
		c[k] = n
	}
	n.total++
	if prev >= 0 {
		n.after[prev]++
	}
}

// shareAfter is the path's share after the old token prev.
func (p *recutPath) shareAfter(prev int) float64 {
	if v, ok := p.after[prev]; ok {
		return v
	}
	return p.share
}

// id returns the ordinary old token spelled exactly b, preferring one that
// is not a byte-fallback token (the tokens are sorted by bytes, then id,
// and byte-fallback ids come first where the vocabulary has them).
func (o *oldPrefixes) id(b string) (int, bool) {
	ids, rest := o.with([]byte(b))
	found := -1
	for i, r := range rest {
		if r != "" {
			break
		}
		found = ids[i]
	}
	return found, found >= 0
}
