package tokenizer

import "encoding/json"

// A model turns one word into token ids.
type model interface {
	// tokenize appends the ids of the word p to dst.
	tokenize(dst []int, p piece, ws *workspace) []int
	tokenToID(tok string) (int, bool)
	idToToken(id int) (string, bool)
	// size is the number of tokens (the reference's get_vocab_size), the
	// first id added tokens outside the vocabulary receive.
	size() int
	// idSpace is the largest id plus one.
	idSpace() int
}

func newModel(raw json.RawMessage, path string) (model, error) {
	o, typ, err := component(raw, path, "model", func(o object) (string, error) { return legacyModelType(o), nil })
	if err != nil {
		return nil, err
	}
	switch typ {
	case "BPE":
		return newBPE(o)
	case "WordPiece":
		return newWordPiece(o)
	case "WordLevel":
		return newWordLevel(o)
	case "Unigram":
		return newUnigram(o)
	case "":
		return nil, formatErr(o.path, "model without a \"type\" whose fields match no known model")
	}
	return nil, unsupportedErr(o.at("type"), "model type %q", typ)
}

// legacyModelType infers the type of a model written without "type" from
// the fields present, trying the types in the reference's order: BPE needs
// merges; WordPiece, which would also read a WordLevel vocabulary, needs its
// three settings; Unigram's vocabulary is a list.
func legacyModelType(o object) string {
	has := func(k string) bool { _, ok := o.m[k]; return ok }
	vocabIsList := len(o.m["vocab"]) > 0 && firstNonSpace(o.m["vocab"]) == '['
	switch {
	case has("vocab") && has("merges"):
		return "BPE"
	case has("vocab") && !vocabIsList && has("unk_token") && has("continuing_subword_prefix") && has("max_input_chars_per_word"):
		return "WordPiece"
	case has("vocab") && !vocabIsList && has("unk_token"):
		return "WordLevel"
	case vocabIsList:
		return "Unigram"
	}
	return ""
}

func firstNonSpace(b []byte) byte {
	for _, c := range b {
		if c != ' ' && c != '\n' && c != '\t' && c != '\r' {
			return c
		}
	}
	return 0
}

// wordLevel maps whole words to ids, unknown words to unk.
type wordLevel struct {
	vocab
	unk int
}

func newWordLevel(o object) (*wordLevel, error) {
	v, err := parseVocabMap(o, "vocab")
	if err != nil {
		return nil, err
	}
	unk, err := o.optStr("unk_token", "<unk>")
	if err != nil {
		return nil, err
	}
	id, ok := v.tokenToID(unk)
	if !ok {
		id = -1 // the reference fails at encode time; we emit nothing
	}
	return &wordLevel{vocab: v, unk: id}, nil
}

func (m *wordLevel) tokenize(dst []int, p piece, _ *workspace) []int {
	if id, ok := m.ids[p.text]; ok {
		return append(dst, id)
	}
	if m.unk >= 0 {
		dst = append(dst, m.unk)
	}
	return dst
}

// wordPiece cuts a word greedily into the longest vocabulary prefixes,
// marking non-initial pieces with a prefix (##); a word with an
// unencodable rest, or too long, becomes unk.
type wordPiece struct {
	vocab
	unk      int
	prefix   string
	maxChars int
}

func newWordPiece(o object) (*wordPiece, error) {
	v, err := parseVocabMap(o, "vocab")
	if err != nil {
		return nil, err
	}
	m := &wordPiece{vocab: v, unk: -1}
	unk, err := o.optStr("unk_token", "[UNK]")
	if err != nil {
		return nil, err
	}
	if id, ok := v.tokenToID(unk); ok {
		m.unk = id
	}
	if m.prefix, err = o.optStr("continuing_subword_prefix", "##"); err != nil {
		return nil, err
	}
	if m.maxChars, err = o.optInt("max_input_chars_per_word", 100); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *wordPiece) tokenize(dst []int, p piece, ws *workspace) []int {
	return m.tokenizeExcluding(dst, p, ws, -1)
}

// tokenizeExcluding is tokenize taking the longest match other than ex
// (-1: none).
func (m *wordPiece) tokenizeExcluding(dst []int, p piece, ws *workspace, ex int) []int {
	w := p.text
	if countRunes(w) > m.maxChars {
		return appendUnkExcept(dst, m.unk, ex)
	}
	n := len(dst)
	for start := 0; start < len(w); {
		end := len(w)
		found := -1
		for start < end {
			b := ws.text[:0]
			if start > 0 {
				b = append(b, m.prefix...)
			}
			b = append(b, w[start:end]...)
			ws.text = b
			if id, ok := m.ids[string(b)]; ok && id != ex {
				found = id
				break
			}
			end = lastRuneStart(w[:end])
		}
		if found < 0 {
			return appendUnkExcept(dst[:n], m.unk, ex)
		}
		dst = append(dst, found)
		start = end
	}
	return dst
}
