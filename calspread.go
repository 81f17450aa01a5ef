package transplant

// spread picks at most max of each row's contexts, evenly over the text.
// A calibration text is rarely uniform (the shared models' calib.txt runs
// from scripture to dictionary entries to hacker slang), so a token's first
// max contexts would often come from one kind of text alone; a row fitted
// on them learns what that kind asks of it and carries it into every other.
// Taking the first 128 blank lines of calib.txt, the head row of Gemma 3's
// "\n\n" cost Go doc comments 7.7 bits per blank line against the base's
// 1.8; taking 128 spread over the text, 3.4.
//
// The caller counts every context it may offer (count), then offers them
// in text order (keep); of a row's n contexts the k-th (from 0) is kept
// when ⌊((k+1)·max + n/2)/n⌋ steps past ⌊(k·max + n/2)/n⌋: exactly max of
// them when all are offered, each in the middle of its share of the text.
type spread struct {
	max          int
	total, taken []int // per row: contexts counted, contexts offered
}

func newSpread(rows, max int) *spread {
	return &spread{max: max, total: make([]int, rows), taken: make([]int, rows)}
}

// count notes one more context of row r.
func (s *spread) count(r int) { s.countN(r, 1) }

// countN notes n more contexts of row r.
func (s *spread) countN(r, n int) { s.total[r] += n }

// keep reports whether to sample the next context of row r.
func (s *spread) keep(r int) bool {
	n, k := s.total[r], s.taken[r]
	s.taken[r]++
	if n <= s.max {
		return true
	}
	return ((k+1)*s.max+n/2)/n > (k*s.max+n/2)/n
}
