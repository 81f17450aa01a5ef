package tokenizer

import (
	"encoding/json"
	"fmt"
	"math"
	"unicode/utf8"
)

// unigram is SentencePiece's unigram language model: a word is cut into the
// pieces whose scores (log probabilities) sum highest, found with Viterbi
// over a trie of the vocabulary.
type unigram struct {
	vocab
	scores       []float64
	unk          int // -1 when there is none
	byteFallback bool
	minScore     float64
	trie         *tokenTrie // the pieces, for common-prefix search
	byteIDs      [256]int32 // "<0xNN>" ids, or -1
}

func newUnigram(o object) (*unigram, error) {
	items, err := o.array("vocab")
	if err != nil {
		return nil, err
	}
	u := &unigram{unk: -1, minScore: math.Inf(1), trie: newTokenTrie()}
	ids := make(map[string]int, len(items))
	tokens := make([]string, len(items))
	u.scores = make([]float64, len(items))
	for i, item := range items {
		var pair []json.RawMessage
		var tok string
		var score float64
		if json.Unmarshal(item, &pair) != nil || len(pair) != 2 ||
			json.Unmarshal(pair[0], &tok) != nil || json.Unmarshal(pair[1], &score) != nil {
			return nil, formatErr(indexPath(o.at("vocab"), i), "want [\"piece\", score], have %s", describeJSON(item))
		}
		if prev, dup := ids[tok]; dup {
			return nil, formatErr(indexPath(o.at("vocab"), i), "piece %q repeats id %d", tok, prev)
		}
		ids[tok] = i
		tokens[i] = tok
		u.scores[i] = score
		u.minScore = min(u.minScore, score)
		u.trie.add(tok, i)
	}
	known := make([]bool, len(items))
	for i := range known {
		known[i] = true
	}
	u.vocab = vocab{ids: ids, tokens: tokens, known: known}
	if !o.null("unk_id") {
		id, err := o.optInt("unk_id", 0)
		if err != nil {
			return nil, err
		}
		if id >= len(items) {
			return nil, formatErr(o.at("unk_id"), "unk id %d outside the vocabulary of %d pieces", id, len(items))
		}
		u.unk = id
	}
	if u.byteFallback, err = o.optBool("byte_fallback", false); err != nil {
		return nil, err
	}
	for b := range u.byteIDs {
		u.byteIDs[b] = -1
		if id, ok := ids[fmt.Sprintf("<0x%02X>", b)]; ok {
			u.byteIDs[b] = int32(id)
		}
	}
	return u, nil
}

// unkPenalty lowers the score of unknown characters below any piece.
const unkPenalty = 10.0

type bestPath struct {
	score float64
	start int // -1: not reached yet
	id    int32
}

func (u *unigram) tokenize(dst []int, p piece, ws *workspace) []int {
	return u.tokenizeExcluding(dst, p, ws, -1)
}

// tokenizeExcluding is tokenize with Viterbi never using the piece ex (-1:
// none).
func (u *unigram) tokenizeExcluding(dst []int, p piece, ws *workspace, ex int) []int {
	s := p.text
	if s == "" {
		return dst
	}
	best := ws.paths[:0]
	for i := 0; i <= len(s); i++ {
		best = append(best, bestPath{start: -1})
	}
	best[0].start = 0
	unkScore := u.minScore - unkPenalty
	for start := 0; start < len(s); {
		_, charLen := utf8.DecodeRuneInString(s[start:])
		base := best[start].score
		single := false
		u.trie.walk(s[start:], func(n int, id int32) {
			if int(id) == ex {
				return
			}
			t := &best[start+n]
			if cand := base + u.scores[id]; t.start < 0 || cand > t.score {
				*t = bestPath{score: cand, start: start, id: id}
			}
			single = single || n == charLen
		})
		if !single {
			t := &best[start+charLen]
			if cand := base + unkScore; t.start < 0 || cand > t.score {
				*t = bestPath{score: cand, start: start, id: int32(u.unk)}
			}
		}
		start += charLen
	}
	ws.paths = best
	// Walk back from the end; consecutive unknown pieces fuse into one.
	pieces := ws.spans[:0]
	for end := len(s); end > 0; {
		b := best[end]
		if b.id == int32(u.unk) && len(pieces) > 0 && pieces[len(pieces)-1].match {
			pieces[len(pieces)-1].start = b.start
		} else {
			pieces = append(pieces, span{b.start, end, b.id == int32(u.unk)})
		}
		end = b.start
	}
	ws.spans = pieces
	for i := len(pieces) - 1; i >= 0; i-- {
		dst = u.appendPiece(dst, s[pieces[i].start:pieces[i].end], ex)
	}
	return dst
}

// appendPiece appends the id of one piece of the best path: its own id,
// its bytes as byte-fallback tokens, or unk, never the id ex (-1: none).
func (u *unigram) appendPiece(dst []int, piece string, ex int) []int {
	if id, ok := u.ids[piece]; ok && id != ex {
		return append(dst, id)
	}
	if u.byteFallback {
		ok := true
		for i := 0; i < len(piece); i++ {
			ok = ok && u.byteIDs[piece[i]] >= 0 && int(u.byteIDs[piece[i]]) != ex
		}
		if ok {
			for i := 0; i < len(piece); i++ {
				dst = append(dst, int(u.byteIDs[piece[i]]))
			}
			return dst
		}
	}
	return appendUnkExcept(dst, u.unk, ex)
}
