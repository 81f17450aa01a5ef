package eval

import (
	"fmt"
	"math"
	"slices"

	"github.com/transplant-dev/transplant/tokenizer"
)

// Locate sets t.Ends: it encodes text again with tok, the tokenizer t's
// stream was made with (cut into chunks and given bos as the score that
// made t did, see BitsPerByte), and fails when that gives other ids. Ends
// stays nil when some chunk's tokens do not spell its bytes (a normalizer
// that lowercases, a WordPiece vocabulary that drops spaces, unknown
// text): then no target can be matched with another tokenizer's.
func (t *Targets) Locate(tok *tokenizer.Tokenizer, text []byte, bos int, opts Options) error {
	chunks, strs := chunksOf(text, opts)
	enc := tok.EncodeBatch(strs, false)
	if ids, _ := Stream(enc, bos); !slices.Equal(ids, t.IDs) {
		return fmt.Errorf("eval: locating targets: the tokenizer encodes the text to %d ids, not the %d scored", len(ids), len(t.IDs))
	}
	t.Ends = ends(tok, chunks, enc, bos)
	return nil
}

// ends is Targets.Ends of the stream Stream makes of enc, the encodings
// of chunks by tok, with bos; nil when some chunk's tokens do not spell it.
func ends(tok *tokenizer.Tokenizer, chunks [][]byte, enc [][]int, bos int) []int {
	var ends []int
	off := 0
	for k, c := range chunks {
		if bos >= 0 {
			ends = append(ends, -1)
		}
		starts := tok.Starts(c, enc[k])
		if starts == nil {
			return nil
		}
		for i := range starts {
			end := len(c)
			if i+1 < len(starts) {
				end = max(starts[i+1], 0)
			}
			ends = append(ends, off+end)
		}
		off += len(c)
	}
	return ends
}

// baselineBits gives each scored position of t, the model's targets, the
// bits the baseline spent on its bytes, from base, the baseline's targets,
// both located (Targets.Locate); nil when either is not. The text is cut
// wherever both streams end a token; the baseline's bits between two such
// cuts go to the model's scored targets between them, in proportion to
// their bytes (evenly when they have none, nowhere when none is scored:
// the stream's first token without BOS). Where the two tokenizers cut
// alike that is exact; where they cut a stretch of text differently, the
// stretch's bits are spread over its bytes.
func (s *Splitter) baselineBits(t, base Targets) []float64 {
	if t.Ends == nil || base.Ends == nil {
		return nil
	}
	per := make([]float64, len(t.IDs))
	var seg []int // the model's scored positions since the last common cut
	var bits float64
	j := 0
	for i, end := range t.Ends {
		if end < 0 {
			continue
		}
		if i > 0 && t.Scored[i] {
			seg = append(seg, i)
		}
		for ; j < len(base.Ends) && base.Ends[j] <= end; j++ {
			if base.Ends[j] >= 0 && base.Scored[j] {
				bits += base.NLL[j] / math.Ln2
			}
		}
		if j > 0 && base.Ends[j-1] == end {
			s.spread(per, t, seg, bits)
			seg, bits = seg[:0], 0
		}
	}
	return per
}

// spread shares bits out over the positions seg of t, by their bytes.
func (s *Splitter) spread(per []float64, t Targets, seg []int, bits float64) {
	total := 0
	for _, i := range seg {
		total += tokenBytes(s.tok, t.IDs[i])
	}
	for _, i := range seg {
		w := 1 / float64(len(seg))
		if total > 0 {
			w = float64(tokenBytes(s.tok, t.IDs[i])) / float64(total)
		}
		per[i] += w * bits
	}
}
