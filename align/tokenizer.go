package align

import (
	"unicode"
	"unicode/utf8"

	"github.com/transplant-dev/transplant/tokenizer"
)

// FromTokenizer describes a tokenizer's id space for Align.
//
// In vocabularies that mark word-internal pieces (WordPiece "##", a BPE
// continuing-subword prefix), a piece without the mark that starts with a
// letter or digit begins a word, so it is matched as if preceded by a
// space; punctuation is left as it is, since it attaches to the word before
// it in space-prefix vocabularies too.
func FromTokenizer(t *tokenizer.Tokenizer) *Vocab {
	n := t.VocabSize()
	v := &Vocab{Tokens: make([]Token, n), Roles: map[Role]int{}}
	marksContinuation := false
	for id := 0; id < n; id++ {
		s := t.Surface(id)
		spelling, _ := t.TokenString(id)
		v.Tokens[id] = Token{Spelling: spelling, Bytes: s.Bytes, Special: s.Special, ByteFallback: s.ByteFallback, Unused: s.Unused}
		marksContinuation = marksContinuation || s.Continuation
	}
	if marksContinuation {
		for id := 0; id < n; id++ {
			s, tk := t.Surface(id), &v.Tokens[id]
			if !s.Continuation && !s.Special && !s.ByteFallback && !s.Unused && startsWord(s.Bytes) {
				tk.WordInitial = true
			}
		}
	}
	sp := t.Specials()
	for role, id := range map[Role]int{BOS: sp.BOS, EOS: sp.EOS, PAD: sp.PAD, UNK: sp.UNK} {
		if id >= 0 {
			v.Roles[role] = id
		}
	}
	return v
}

func startsWord(b []byte) bool {
	r, _ := utf8.DecodeRune(b)
	return unicode.IsLetter(r) || unicode.IsNumber(r)
}
