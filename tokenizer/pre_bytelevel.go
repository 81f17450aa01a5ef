package tokenizer

import "strings"

// byteLevelPre is GPT-2's pre-tokenizer: optionally put a space in front,
// split with the GPT-2 regex, and spell every byte in the byte-level
// alphabet.
type byteLevelPre struct {
	addPrefixSpace bool
	useRegex       bool
	// deferred leaves the spelling to the model: set when this is the last
	// pre-tokenizer and the model reads raw bytes directly (bpe.byteLevel),
	// which saves building a new string for every word.
	deferred bool
}

func newByteLevelPre(o object) (*byteLevelPre, error) {
	var b byteLevelPre
	var err error
	if b.addPrefixSpace, err = o.optBool("add_prefix_space", true); err != nil {
		return nil, err
	}
	if b.useRegex, err = o.optBool("use_regex", true); err != nil {
		return nil, err
	}
	if _, err = o.optBool("trim_offsets", true); err != nil {
		return nil, err
	}
	return &b, nil
}

func (b *byteLevelPre) preTokenize(dst []piece, p piece, buf *scratch) []piece {
	if b.addPrefixSpace && !strings.HasPrefix(p.text, " ") {
		p.text = " " + p.text
	}
	n := len(dst)
	if b.useRegex {
		dst = splitWith(dst, p, gpt2Matcher{}, isolated, false, buf)
	} else if p.text != "" {
		dst = append(dst, p)
	}
	for i := n; i < len(dst); i++ {
		if b.deferred {
			dst[i].raw = true
		} else {
			buf.text = spellBytes(buf.text[:0], dst[i].text)
			dst[i].text = string(buf.text)
		}
	}
	return dst
}

// split cuts text at the matches of a string or regex pattern.
type split struct {
	m      matcher
	b      behavior
	invert bool
}

func newSplit(o object) (*split, error) {
	lit, re, isRegex, err := o.pattern("pattern")
	if err != nil {
		return nil, err
	}
	bs, err := o.str("behavior")
	if err != nil {
		return nil, err
	}
	s := &split{}
	if s.b, err = parseBehavior(bs, o.at("behavior")); err != nil {
		return nil, err
	}
	if s.invert, err = o.optBool("invert", false); err != nil {
		return nil, err
	}
	switch {
	case !isRegex:
		if lit == "" {
			return nil, formatErr(o.at("pattern"), "empty pattern")
		}
		s.m = literalMatcher(lit)
	default:
		if m, ok := knownMatcher(re); ok {
			s.m = m
			break
		}
		compiled, err := compileRegex(re, o.at("pattern.Regex"))
		if err != nil {
			return nil, err
		}
		s.m = regexMatcher{compiled}
	}
	return s, nil
}

func (s *split) preTokenize(dst []piece, p piece, buf *scratch) []piece {
	return splitWith(dst, p, s.m, s.b, s.invert, buf)
}

// prependScheme says when Metaspace puts a replacement character in front.
type prependScheme uint8

const (
	prependAlways prependScheme = iota
	prependFirst                // only at the very start of the input
	prependNever
)

// metaspace is SentencePiece's whitespace handling: spaces become the
// replacement character (▁), one is put in front, and words start at each.
type metaspace struct {
	replacement rune
	repl        string
	scheme      prependScheme
	split       bool
}

func newMetaspace(o object) (*metaspace, error) {
	r, err := o.charField("replacement", '▁')
	if err != nil {
		return nil, err
	}
	m := &metaspace{replacement: r, repl: string(r)}
	scheme, err := o.optStr("prepend_scheme", "always")
	if err != nil {
		return nil, err
	}
	switch scheme {
	case "always":
		m.scheme = prependAlways
	case "first":
		m.scheme = prependFirst
	case "never":
		m.scheme = prependNever
	default:
		return nil, formatErr(o.at("prepend_scheme"), "unknown prepend scheme %q", scheme)
	}
	// Legacy files say add_prefix_space instead.
	if !o.null("add_prefix_space") {
		add, err := o.optBool("add_prefix_space", true)
		if err != nil {
			return nil, err
		}
		if !add {
			if !o.null("prepend_scheme") && m.scheme != prependNever {
				return nil, formatErr(o.at("add_prefix_space"), "add_prefix_space false contradicts prepend_scheme %q", scheme)
			}
			m.scheme = prependNever
		}
	}
	if m.split, err = o.optBool("split", true); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *metaspace) preTokenize(dst []piece, p piece, buf *scratch) []piece {
	p.text = strings.ReplaceAll(p.text, " ", m.repl)
	if !strings.HasPrefix(p.text, m.repl) &&
		(m.scheme == prependAlways || (m.scheme == prependFirst && p.first)) {
		p.text = m.repl + p.text
	}
	if !m.split {
		if p.text != "" {
			dst = append(dst, p)
		}
		return dst
	}
	return splitWith(dst, p, literalMatcher(m.repl), mergedWithNext, false, buf)
}
