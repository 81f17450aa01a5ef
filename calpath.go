package transplant

import "math"

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
// adds logit_b + log share to the row's target. The share is free of
// context: after a full stop "▁" goes on to a word more often than its
// share (0.50 in calib.txt, where it is as often a digit's space) says.
//
// Onto Phi-2's tokenizer (A, calib.txt), held-out texts in bits per byte
// relative to A (dev, Go doc comments, licenses, Python docs): the runs'
// head rows set to the base's rows for one space fewer gave
// 1.0615/1.0113/1.0293/1.0237 → 1.0551/1.0125/1.0204/1.0177.
type recutPath struct {
	old      int
	logShare float64
}

// minPathReads is how often the base's cut must read an old token before
// its share is trusted, and minPathShare the share a path needs: one that
// makes the row less often than not does so in some contexts and not in
// others (after "▁im" a word goes on as "port" or as "prove"), which a
// share free of context cannot follow. Onto Phi-2's tokenizer the runs of
// spaces go on as a spaced word in 51–100% of their reads in calib.txt,
// and the paths of pieces of words below it (" im" to " imp", 31%) moved
// no score by more than 0.0001.
const (
	minPathReads = minRecutOccurrences
	minPathShare = 0.5
)

// pathsOf returns, per row of rp, its paths on st's text.
func (rp *recutProjection) pathsOf(st *calStream, rows []recutRow, rowBytes []string) [][]recutPath {
	type pair struct{ old, row int }
	candidates := map[string][]pair{} // an old token's bytes: the rows it begins
	for k, b := range rowBytes {
		for n := 1; n < len(b); n++ {
			if id, ok := rp.old.id(b[:n]); ok {
				candidates[b[:n]] = append(candidates[b[:n]], pair{id, k})
			}
		}
	}
	if len(candidates) == 0 {
		return make([][]recutPath, len(rows))
	}
	reads, makes := map[string]int{}, map[pair]int{}
	prev, last := -1, -1 // the base's last two cuts
	for o, c := range st.cut {
		if !c {
			continue
		}
		if prev >= 0 {
			b, next := string(st.text[prev:last]), string(st.text[last:o])
			if ps, ok := candidates[b]; ok && len(next) <= rp.old.longest {
				reads[b]++
				for _, p := range ps {
					if len(b)+len(next) > len(rowBytes[p.row]) && rp.first(b+next) == rows[p.row].new {
						makes[p]++
					}
				}
			}
		}
		prev, last = last, o
	}
	paths := make([][]recutPath, len(rows))
	for b, ps := range candidates {
		for _, p := range ps {
			if n, k := reads[b], makes[p]; n >= minPathReads && float64(k) >= minPathShare*float64(n) {
				paths[p.row] = append(paths[p.row], recutPath{old: p.old, logShare: math.Log(float64(k) / float64(n))})
			}
		}
	}
	return paths
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
