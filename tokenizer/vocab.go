package tokenizer

import (
	"encoding/json"
	"sort"
)

// vocab is a model's token ↔ id table.
type vocab struct {
	ids    map[string]int
	tokens []string // by id; holes are ""
	known  []bool   // by id: whether the id has a token
}

// newVocab checks that ids are non-negative and distinct; path names the
// JSON field for errors.
func newVocab(m map[string]int, path string) (vocab, error) {
	maxID := -1
	for tok, id := range m {
		if id < 0 {
			return vocab{}, formatErr(path, "token %q has negative id %d", tok, id)
		}
		if id > maxID {
			maxID = id
		}
	}
	if maxID >= 1<<31-1 {
		return vocab{}, formatErr(path, "id %d too large", maxID)
	}
	v := vocab{ids: m, tokens: make([]string, maxID+1), known: make([]bool, maxID+1)}
	for tok, id := range m {
		if v.known[id] {
			return vocab{}, duplicateIDError(m, path)
		}
		v.tokens[id], v.known[id] = tok, true
	}
	return v, nil
}

// duplicateIDError names the first clash in sorted token order, so that
// the message is the same on every run.
func duplicateIDError(m map[string]int, path string) error {
	toks := make([]string, 0, len(m))
	for tok := range m {
		toks = append(toks, tok)
	}
	sort.Strings(toks)
	seen := make(map[int]string, len(m))
	for _, tok := range toks {
		if prev, ok := seen[m[tok]]; ok {
			return formatErr(path, "tokens %q and %q share id %d", prev, tok, m[tok])
		}
		seen[m[tok]] = tok
	}
	return formatErr(path, "duplicate ids")
}

// parseVocabMap reads a {"token": id, ...} object.
func parseVocabMap(o object, key string) (vocab, error) {
	if o.null(key) {
		return vocab{}, formatErr(o.at(key), "missing vocabulary")
	}
	if m, ok := fastVocab(o.m[key]); ok {
		return newVocab(m, o.at(key))
	}
	var m map[string]int
	if err := json.Unmarshal(o.m[key], &m); err != nil {
		return vocab{}, formatErr(o.at(key), "want an object of token ids: %v", err)
	}
	return newVocab(m, o.at(key))
}

func (v *vocab) tokenToID(tok string) (int, bool) {
	id, ok := v.ids[tok]
	return id, ok
}

func (v *vocab) idToToken(id int) (string, bool) {
	if id < 0 || id >= len(v.tokens) || !v.known[id] {
		return "", false
	}
	return v.tokens[id], true
}

// size is the number of tokens, the reference's get_vocab_size.
func (v *vocab) size() int { return len(v.ids) }

// idSpace is the largest id plus one.
func (v *vocab) idSpace() int { return len(v.tokens) }
