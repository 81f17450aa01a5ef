package tokenizer

// A piece is a stretch of text on its way through the pipeline: first a
// segment between added tokens, then a word cut out by the pre-tokenizers,
// finally the input of the model.
type piece struct {
	text string
	// id is the token id when the piece is an added token, already final;
	// -1 otherwise.
	id int
	// first reports that the piece begins at offset 0 of the input text,
	// which the Metaspace pre-tokenizer's "first" scheme depends on.
	first bool
	// raw reports that text still holds raw bytes that the byte-level
	// alphabet has yet to spell (see byteLevelPre.deferred).
	raw bool
}

// A span is a byte range of a piece's text; match says whether it is a
// match of the pattern that cuts the piece.
type span struct {
	start, end int
	match      bool
}

// behavior says what a split does with the matches of its pattern, as in
// the reference's SplitDelimiterBehavior.
type behavior uint8

const (
	removed behavior = iota
	isolated
	mergedWithPrevious
	mergedWithNext
	contiguous
)

func parseBehavior(s, path string) (behavior, error) {
	switch s {
	case "Removed":
		return removed, nil
	case "Isolated":
		return isolated, nil
	case "MergedWithPrevious":
		return mergedWithPrevious, nil
	case "MergedWithNext":
		return mergedWithNext, nil
	case "Contiguous":
		return contiguous, nil
	}
	return 0, formatErr(path, "unknown split behavior %q", s)
}

// spansFrom turns match ranges (sorted, non-overlapping) into spans that
// cover all of a text of length n, as the reference's Pattern::find_matches
// does: an empty text is one empty non-match.
func spansFrom(dst []span, matches [][2]int, n int) []span {
	if n == 0 {
		return append(dst, span{0, 0, false})
	}
	prev := 0
	for _, m := range matches {
		if prev != m[0] {
			dst = append(dst, span{prev, m[0], false})
		}
		dst = append(dst, span{m[0], m[1], true})
		prev = m[1]
	}
	if prev != n {
		dst = append(dst, span{prev, n, false})
	}
	return dst
}

// applyBehavior rewrites spans in place into the ranges to keep; in the
// result, match marks a range to drop.
func applyBehavior(spans []span, b behavior) []span {
	switch b {
	case removed:
		return spans
	case isolated:
		for i := range spans {
			spans[i].match = false
		}
		return spans
	case contiguous:
		out := spans[:0]
		prev := false
		for _, s := range spans {
			if s.match == prev && len(out) > 0 {
				out[len(out)-1].end = s.end
			} else {
				out = append(out, span{s.start, s.end, false})
			}
			prev = s.match
		}
		return out
	case mergedWithPrevious:
		out := spans[:0]
		prev := false
		for _, s := range spans {
			if s.match && !prev && len(out) > 0 {
				out[len(out)-1].end = s.end
			} else {
				out = append(out, span{s.start, s.end, false})
			}
			prev = s.match
		}
		return out
	case mergedWithNext:
		// Walk backwards, gluing each match to the range after it.
		n := len(spans)
		out := make([]span, 0, n)
		prev := false
		for i := n - 1; i >= 0; i-- {
			s := spans[i]
			if s.match && !prev && len(out) > 0 {
				out[len(out)-1].start = s.start
			} else {
				out = append(out, span{s.start, s.end, false})
			}
			prev = s.match
		}
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		copy(spans, out)
		return spans[:len(out)]
	}
	return spans
}

// emit appends to dst the non-empty kept ranges of p as new pieces.
func emit(dst []piece, p piece, spans []span) []piece {
	for _, s := range spans {
		if s.match || s.start == s.end {
			continue
		}
		dst = append(dst, piece{text: p.text[s.start:s.end], id: -1, first: p.first && s.start == 0, raw: p.raw})
	}
	return dst
}
