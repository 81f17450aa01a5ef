package tokenizer

import (
	"strings"
	"unicode/utf8"
)

// A Surface is what a token stands for in bytes, the common ground on
// which two vocabularies are compared.
type Surface struct {
	// Bytes is the token's text: byte-level spellings decoded, the
	// SentencePiece space mark (▁) as a space, "<0xNN>" as the one byte,
	// a WordPiece "##" prefix or a BPE end-of-word suffix removed. It is
	// shared; do not modify it.
	Bytes []byte
	// Special marks special added tokens (BOS, EOS, chat markers, ...);
	// Bytes is then their content.
	Special bool
	// ByteFallback marks "<0xNN>" tokens, which stand for a single byte.
	ByteFallback bool
	// Continuation marks pieces that only occur inside a word: WordPiece
	// "##" pieces, BPE pieces with a continuing-subword prefix, and pieces
	// without the end-of-word suffix in suffix-style vocabularies.
	Continuation bool
	// Unused marks ids in the id space that no token has.
	Unused bool
}

// Surface returns the surface of id; ids outside the id space are Unused.
func (t *Tokenizer) Surface(id int) Surface {
	if id < 0 || id >= len(t.surfaces) {
		return Surface{Unused: true}
	}
	return t.surfaces[id]
}

// EncodeSurface returns the tokens this tokenizer cuts exactly the bytes b
// into: b is spelled in the vocabulary's alphabet (spaces as ▁ where the
// vocabulary does so), split as the pre-tokenizer would, and run through
// the model, with byte fallback or unk where needed. Unlike Encode it adds
// no prefix space, matches no special token, does not normalize (so
// "Hello" is not lowercased by an uncased tokenizer), and accepts any
// bytes, including ill-formed UTF-8.
func (t *Tokenizer) EncodeSurface(b []byte) []int {
	s := string(b)
	if t.surfaceSpace != 0 {
		s = strings.ReplaceAll(s, " ", string(t.surfaceSpace))
	}
	ws := t.workspace()
	ws.ids = t.surface.encode(ws.ids[:0], s, ws)
	ids := append([]int(nil), ws.ids...)
	t.workspaces.Put(ws)
	return ids
}

// surfacePreTokenizer is pt without its prefix-adding: ByteLevel adds no
// space, Metaspace no ▁.
func surfacePreTokenizer(pt preTokenizer) preTokenizer {
	switch p := pt.(type) {
	case *byteLevelPre:
		c := *p
		c.addPrefixSpace = false
		return &c
	case *metaspace:
		c := *p
		c.scheme = prependNever
		return &c
	case preTokenizerSequence:
		seq := make(preTokenizerSequence, len(p))
		for i, q := range p {
			seq[i] = surfacePreTokenizer(q)
		}
		return seq
	}
	return pt
}

// spaceSpelling finds the character the vocabulary writes spaces as: a
// Metaspace replacement, or what a Replace normalizer turns " " into, or
// what a Replace decoder turns back into " ".
func spaceSpelling(n normalizer, pt preTokenizer, d decoder) rune {
	single := func(s string) rune {
		if r, w := utf8.DecodeRuneInString(s); w == len(s) && w > 0 {
			return r
		}
		return 0
	}
	for _, p := range flatten(pt) {
		if m, ok := p.(*metaspace); ok {
			return m.replacement
		}
	}
	for _, n := range flatten(n) {
		if r, ok := n.(*replace); ok && r.literal == " " {
			if c := single(r.content); c != 0 {
				return c
			}
		}
	}
	for _, d := range flatten(d) {
		switch d := d.(type) {
		case metaspaceDecoder:
			return d.m.replacement
		case replaceDecoder:
			if d.r.content == " " {
				if c := single(d.r.literal); c != 0 {
					return c
				}
			}
		}
	}
	return 0
}

// flatten lists the stages of a component, looking into sequences.
func flatten[T any](c T) []T {
	var out []T
	switch s := any(c).(type) {
	case nil:
	case normalizerSequence:
		for _, x := range s {
			out = append(out, flatten(any(x).(T))...)
		}
	case preTokenizerSequence:
		for _, x := range s {
			out = append(out, flatten(any(x).(T))...)
		}
	case decoderSequence:
		for _, x := range s {
			out = append(out, flatten(any(x).(T))...)
		}
	case processorSequence:
		for _, x := range s {
			out = append(out, flatten(any(x).(T))...)
		}
	default:
		out = append(out, c)
	}
	return out
}

// usesByteLevel reports whether the vocabulary is spelled in the
// byte-level alphabet.
func (t *Tokenizer) usesByteLevel() bool {
	for _, p := range flatten(t.pre) {
		if _, ok := p.(*byteLevelPre); ok {
			return true
		}
	}
	for _, d := range flatten(t.dec) {
		if _, ok := d.(byteLevelDecoder); ok {
			return true
		}
	}
	for _, n := range flatten(t.norm) {
		if _, ok := n.(byteLevelNormalizer); ok {
			return true
		}
	}
	return false
}

func (t *Tokenizer) buildSurfaces() []Surface {
	n := t.model.idSpace()
	for id := range t.added.byID {
		n = max(n, id+1)
	}
	out := make([]Surface, n)
	byteLevel := t.usesByteLevel()
	var prefix, suffix string
	byteFallback := false
	switch m := t.model.(type) {
	case *bpe:
		prefix, suffix, byteFallback = m.prefix, m.suffix, m.byteFallback
	case *wordPiece:
		prefix = m.prefix
	case *unigram:
		byteFallback = m.byteFallback
	}
	for id := range out {
		if a, ok := t.added.byID[id]; ok {
			if a.Special {
				out[id] = Surface{Bytes: []byte(a.Content), Special: true}
				continue
			}
			// An ordinary added token stands for what it decodes to, like
			// any other token, but has no model prefix or suffix.
			out[id] = Surface{Bytes: t.spell(a.Content, byteLevel)}
			continue
		}
		tok, ok := t.model.idToToken(id)
		if !ok {
			out[id] = Surface{Unused: true}
			continue
		}
		var s Surface
		if b, ok := parseByteToken(tok); ok && byteFallback {
			out[id] = Surface{Bytes: []byte{b}, ByteFallback: true}
			continue
		}
		if prefix != "" && strings.HasPrefix(tok, prefix) {
			tok, s.Continuation = tok[len(prefix):], true
		}
		if suffix != "" {
			if strings.HasSuffix(tok, suffix) {
				tok = tok[:len(tok)-len(suffix)]
			} else {
				s.Continuation = true
			}
		}
		s.Bytes = t.spell(tok, byteLevel)
		out[id] = s
	}
	return out
}

// spell turns a token string into the bytes it stands for: byte-level
// spellings decoded (a string with a character outside the alphabet
// stands for itself, as the ByteLevel decoder has it), the space mark
// read as a space.
func (t *Tokenizer) spell(tok string, byteLevel bool) []byte {
	if byteLevel {
		if b, ok := unspellBytes(nil, tok); ok {
			return b
		}
	}
	if t.surfaceSpace != 0 {
		tok = strings.ReplaceAll(tok, string(t.surfaceSpace), " ")
	}
	return []byte(tok)
}
