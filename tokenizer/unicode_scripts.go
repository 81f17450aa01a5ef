package tokenizer

import "sort"

// unicodeScripts cuts text where the script changes, as SentencePiece's
// split_by_unicode_script does: a word runs from a character of some
// script up to the next character of another. Characters of no script
// (spaces, unassigned code points) join the word before them; those
// before the first character with a script are dropped, as the
// reference drops them. Hiragana, Katakana and the prolonged sound mark
// count as Han; digits and punctuation are Common, a script of their own.
type unicodeScripts struct{}

func (unicodeScripts) preTokenize(dst []piece, p piece, _ *scratch) []piece {
	start, last := -1, uint8(0)
	for i, r := range p.text {
		s := refScript(r)
		if s == 0 || s == last {
			continue
		}
		if start >= 0 {
			dst = append(dst, piece{text: p.text[start:i], id: -1, first: p.first && start == 0, raw: p.raw})
		}
		start, last = i, s
	}
	if start >= 0 {
		dst = append(dst, piece{text: p.text[start:], id: -1, first: p.first && start == 0, raw: p.raw})
	}
	return dst
}

// A scriptRun gives the code points lo..hi one script class (refScripts).
type scriptRun struct {
	lo, hi rune
	class  uint8
}

// refScript returns the script class of r, 0 for none.
func refScript(r rune) uint8 {
	if r < 0x80 {
		return asciiScripts[r]
	}
	i := sort.Search(len(refScripts), func(i int) bool { return refScripts[i].hi >= r })
	if i < len(refScripts) && refScripts[i].lo <= r {
		return refScripts[i].class
	}
	return 0
}

// asciiScripts caches refScript for ASCII, the commonest case.
var asciiScripts = func() (t [0x80]uint8) {
	for _, run := range refScripts {
		for r := run.lo; r <= run.hi && r < 0x80; r++ {
			t[r] = run.class
		}
	}
	return t
}()
