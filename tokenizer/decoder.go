package tokenizer

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A decoder turns token strings back into text. Like the reference's
// decode_chain, each stage maps the list of token strings to a new list;
// Decode joins the last one.
type decoder interface {
	decodeChain(tokens []string) []string
}

func newDecoder(raw json.RawMessage, path string) (decoder, error) {
	o, typ, err := component(raw, path, "decoder", nil)
	if err != nil {
		return nil, err
	}
	switch typ {
	case "ByteLevel":
		return byteLevelDecoder{}, nil
	case "Metaspace":
		m, err := newMetaspace(o)
		if err != nil {
			return nil, err
		}
		return metaspaceDecoder{m}, nil
	case "ByteFallback":
		return byteFallbackDecoder{}, nil
	case "Fuse":
		return fuseDecoder{}, nil
	case "Strip":
		content, err := o.charField("content", ' ')
		if err != nil {
			return nil, err
		}
		start, err := o.optInt("start", 0)
		if err != nil {
			return nil, err
		}
		stop, err := o.optInt("stop", 0)
		return stripDecoder{content, start, stop}, err
	case "Replace":
		r, err := newReplace(o)
		if err != nil {
			return nil, err
		}
		return replaceDecoder{r}, nil
	case "WordPiece":
		prefix, err := o.optStr("prefix", "##")
		if err != nil {
			return nil, err
		}
		cleanup, err := o.optBool("cleanup", true)
		return wordPieceDecoder{prefix, cleanup}, err
	case "BPEDecoder":
		suffix, err := o.optStr("suffix", "</w>")
		return bpeDecoder{suffix}, err
	case "CTC":
		return newCTCDecoder(o)
	case "Sequence":
		seq, err := list(o, "decoders", newDecoder)
		return decoderSequence(seq), err
	}
	return nil, unsupportedErr(o.at("type"), "decoder type %q", typ)
}

type decoderSequence []decoder

func (seq decoderSequence) decodeChain(tokens []string) []string {
	for _, d := range seq {
		tokens = d.decodeChain(tokens)
	}
	return tokens
}

// byteLevelDecoder reads tokens as byte-level spellings (a token with a
// character outside the alphabet stands for its own UTF-8) and decodes the
// bytes, replacing ill-formed sequences with U+FFFD.
type byteLevelDecoder struct{}

func (byteLevelDecoder) decodeChain(tokens []string) []string {
	var b []byte
	for _, t := range tokens {
		var ok bool
		if b, ok = unspellBytes(b, t); !ok {
			b = append(b, t...)
		}
	}
	return []string{validUTF8(b)}
}

// metaspaceDecoder turns the replacement character back into spaces; in
// the first token, when a prefix was added, it is dropped instead.
type metaspaceDecoder struct{ m *metaspace }

func (d metaspaceDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		drop := i == 0 && d.m.scheme != prependNever
		out[i] = strings.Map(func(r rune) rune {
			switch {
			case r != d.m.replacement:
				return r
			case drop:
				return -1
			}
			return ' '
		}, t)
	}
	return out
}

// byteFallbackDecoder joins runs of "<0xNN>" tokens into the text their
// bytes encode; a run that is not valid UTF-8 gives one U+FFFD per byte.
type byteFallbackDecoder struct{}

func (byteFallbackDecoder) decodeChain(tokens []string) []string {
	out := make([]string, 0, len(tokens))
	var run []byte
	flush := func() {
		if len(run) == 0 {
			return
		}
		if s := string(run); utf8.ValidString(s) {
			out = append(out, s)
		} else {
			for range run {
				out = append(out, "\uFFFD")
			}
		}
		run = run[:0]
	}
	for _, t := range tokens {
		if b, ok := parseByteToken(t); ok {
			run = append(run, b)
			continue
		}
		flush()
		out = append(out, t)
	}
	flush()
	return out
}

// parseByteToken reads a "<0xNN>" token.
func parseByteToken(t string) (byte, bool) {
	if len(t) != 6 || !strings.HasPrefix(t, "<0x") || t[5] != '>' {
		return 0, false
	}
	v, err := strconv.ParseUint(t[3:5], 16, 8)
	return byte(v), err == nil
}

type fuseDecoder struct{}

func (fuseDecoder) decodeChain(tokens []string) []string {
	return []string{strings.Join(tokens, "")}
}

// stripDecoder removes up to start leading and stop trailing copies of a
// character from every token.
type stripDecoder struct {
	content     rune
	start, stop int
}

func (d stripDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		rs := []rune(t)
		lo := 0
		for lo < d.start && lo < len(rs) && rs[lo] == d.content {
			lo++
		}
		hi := len(rs)
		for n := 0; n < d.stop && hi > lo && rs[hi-1] == d.content; n++ {
			hi--
		}
		out[i] = string(rs[lo:hi])
	}
	return out
}

type replaceDecoder struct{ r *replace }

func (d replaceDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		out[i] = d.r.normalize(t)
	}
	return out
}

// wordPieceDecoder glues "##" pieces to the previous token and puts a
// space before the others, then undoes BERT's spacing around punctuation.
type wordPieceDecoder struct {
	prefix  string
	cleanup bool
}

func (d wordPieceDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		if i != 0 {
			if strings.HasPrefix(t, d.prefix) {
				t = strings.Replace(t, d.prefix, "", 1)
			} else {
				t = " " + t
			}
		}
		if d.cleanup {
			t = wordPieceCleanup.Replace(t)
		}
		out[i] = t
	}
	return out
}

// wordPieceCleanup applies the reference's cleanup replacements; they are
// applied one after another there, which a single Replacer matches because
// no replacement creates a match for a later one.
var wordPieceCleanup = strings.NewReplacer(
	" .", ".", " ?", "?", " !", "!", " ,", ",", " ' ", "'", " n't", "n't",
	" 'm", "'m", " do not", " don't", " 's", "'s", " 've", "'ve", " 're", "'re",
)

// bpeDecoder turns the end-of-word suffix into a space (nothing after the
// last token).
type bpeDecoder struct{ suffix string }

func (d bpeDecoder) decodeChain(tokens []string) []string {
	out := make([]string, len(tokens))
	for i, t := range tokens {
		rep := " "
		if i == len(tokens)-1 {
			rep = ""
		}
		out[i] = strings.ReplaceAll(t, d.suffix, rep)
	}
	return out
}

// ctcDecoder collapses repeated tokens, removes the pad token and, with
// cleanup, turns the word delimiter into spaces.
type ctcDecoder struct {
	pad, delimiter string
	cleanup        bool
}

func newCTCDecoder(o object) (decoder, error) {
	var d ctcDecoder
	var err error
	if d.pad, err = o.optStr("pad_token", "<pad>"); err != nil {
		return nil, err
	}
	if d.delimiter, err = o.optStr("word_delimiter_token", "|"); err != nil {
		return nil, err
	}
	d.cleanup, err = o.optBool("cleanup", true)
	return d, err
}

func (d ctcDecoder) decodeChain(tokens []string) []string {
	var out []string
	for i, t := range tokens {
		if i > 0 && t == tokens[i-1] {
			continue
		}
		t = strings.ReplaceAll(t, d.pad, "")
		if d.cleanup {
			t = strings.ReplaceAll(wordPieceCleanup.Replace(t), d.delimiter, " ")
		}
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}
