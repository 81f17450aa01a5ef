package extend

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/transplant-dev/transplant/internal/safefile"
	"github.com/transplant-dev/transplant/tokenizer"
)

// Files returns the extended tokenizer's files by name: tokenizer.json with
// the new tokens (and merges) appended to the model, and the base's
// companion files (tokenizer_config.json, special_tokens_map.json, ...)
// unchanged, since the added tokens keep their ids. The new tokenizer.json
// is checked: it loads, every old token and added token keeps its id, and
// every new token has its own.
//
// The reference library gives an added token that is not in the model's
// vocabulary the first id past the vocabulary's size, which growing the
// vocabulary would change; so added tokens outside it (Qwen's, Llama 3's)
// are entered into it at their ids. The model never meets them: added
// tokens are cut out of the text before it runs. (All but a non-special
// single_word token, which stays in the text inside a word; in a Unigram
// vocabulary its piece, scored as the lowest, could then be picked there.
// None of the real tokenizers tested has one outside its vocabulary.) Ids left unused before
// FirstID stay out of a BPE or WordPiece vocabulary; a Unigram vocabulary,
// a list, holds a placeholder piece for each, spelled with the space mark
// inside ("<unused▁32100>"), which no word of its splitting Metaspace
// pre-tokenizer can hold.
func (e *Extension) Files() (map[string][]byte, error) {
	data, err := e.tokenizerJSON()
	if err != nil {
		return nil, err
	}
	if err := e.check(data); err != nil {
		return nil, err
	}
	files := maps.Clone(e.base.files)
	files["tokenizer.json"] = data
	return files, nil
}

// Tokenizer returns the extended tokenizer, as Files writes it. Special
// token roles come from tokenizer.json alone (see tokenizer.Parse).
func (e *Extension) Tokenizer() (*tokenizer.Tokenizer, error) {
	data, err := e.tokenizerJSON()
	if err != nil {
		return nil, err
	}
	return tokenizer.Parse(data)
}

// Write writes Files into dir, creating it if needed. dir must not be the
// base tokenizer's directory or inside it (ErrOutputInsideInput).
func (e *Extension) Write(dir string) error {
	inside, err := safefile.Within(dir, e.base.dir)
	if err != nil {
		return fmt.Errorf("extend: %w", err)
	}
	if inside {
		return fmt.Errorf("extend: %s: %w %s", dir, ErrOutputInsideInput, e.base.dir)
	}
	files, err := e.Files()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("extend: %w", err)
	}
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if err := safefile.WriteFile(filepath.Join(dir, name), files[name]); err != nil {
			return fmt.Errorf("extend: %w", err)
		}
	}
	return nil
}

// tokenizerJSON splices the new entries into the base's tokenizer.json.
func (e *Extension) tokenizerJSON() ([]byte, error) {
	return e.base.extendJSON(e.Tokens, e.Merges)
}

// A vocabEntry is a vocabulary entry to append.
type vocabEntry struct {
	spelling string
	id       int
	score    float64 // Unigram
}

func (b *Base) extendJSON(tokens []Token, merges [][2]string) ([]byte, error) {
	data := b.files["tokenizer.json"]
	if len(tokens) == 0 && len(merges) == 0 {
		return data, nil
	}
	entries, err := b.entries(tokens)
	if err != nil {
		return nil, err
	}
	fail := func(err error) ([]byte, error) {
		return nil, fmt.Errorf("extend: tokenizer.json: %w", err)
	}
	ms, me, err := member(data, "model")
	if err != nil {
		return fail(err)
	}
	model := data[ms:me]
	vs, ve, err := member(model, "vocab")
	if err != nil {
		return fail(fmt.Errorf("model: %w", err))
	}
	vocab := model[vs:ve]
	elems := make([][]byte, len(entries))
	if b.model.family == "Unigram" {
		open, mid, close := pairLayout(vocab)
		for i, en := range entries {
			elems[i] = slices.Concat(open, quote(en.spelling), mid, formatScore(en.score), close)
		}
	} else {
		colon := colonLayout(vocab)
		for i, en := range entries {
			elems[i] = slices.Concat(quote(en.spelling), colon, []byte(strconv.Itoa(en.id)))
		}
	}
	newModel := slices.Concat(model[:vs], appendElements(vocab, elems), model[ve:])
	if len(merges) > 0 {
		gs, ge, err := member(newModel, "merges")
		if err != nil {
			return fail(fmt.Errorf("model: %w", err))
		}
		list := newModel[gs:ge]
		elems := make([][]byte, len(merges))
		open, mid, close := pairLayout(list)
		for i, m := range merges {
			if b.model.mergesAsPairs {
				elems[i] = slices.Concat(open, quote(m[0]), mid, quote(m[1]), close)
			} else {
				elems[i] = quote(m[0] + " " + m[1])
			}
		}
		newModel = slices.Concat(newModel[:gs], appendElements(list, elems), newModel[ge:])
	}
	return slices.Concat(data[:ms], newModel, data[me:]), nil
}

// entries lists what the model's vocabulary gains, in id order: the new
// tokens, the added tokens outside it (see Files), and for a Unigram list
// a placeholder for every unused id before the new ones.
func (b *Base) entries(tokens []Token) ([]vocabEntry, error) {
	byID := map[int]vocabEntry{}
	for _, a := range b.tok.AddedTokens() {
		if _, ok := b.model.vocab[a.Content]; !ok {
			byID[a.ID] = vocabEntry{a.Content, a.ID, dyadic(b.model.minScore)}
		}
	}
	last := -1
	for _, t := range tokens {
		if _, taken := byID[t.ID]; taken {
			return nil, fmt.Errorf("extend: %w: new token %q takes the id %d of an added token", ErrMismatch, t.Spelling, t.ID)
		}
		byID[t.ID] = vocabEntry{t.Spelling, t.ID, t.Score}
		last = max(last, t.ID)
	}
	if b.model.family != "Unigram" {
		out := slices.Collect(maps.Values(byID))
		slices.SortFunc(out, func(x, y vocabEntry) int { return x.id - y.id })
		return out, nil
	}
	var out []vocabEntry
	for id := len(b.model.pieces); id <= last; id++ {
		if en, ok := byID[id]; ok {
			out = append(out, en)
			continue
		}
		if !b.model.gapSafe {
			return nil, b.holeError(id)
		}
		out = append(out, vocabEntry{placeholder(b.model.mark, id), id, dyadic(b.model.minScore)})
	}
	return out, nil
}

// checkFirstID refuses new ids after a hole that the vocabulary cannot
// hold: a Unigram list whose pre-tokenizer lets any text into a word.
func (b *Base) checkFirstID(first int) error {
	if b.model.family != "Unigram" || b.model.gapSafe {
		return nil
	}
	added := map[int]bool{}
	for _, a := range b.tok.AddedTokens() {
		added[a.ID] = true
	}
	for id := len(b.model.pieces); id < first; id++ {
		if !added[id] {
			return b.holeError(id)
		}
	}
	return nil
}

func (b *Base) holeError(id int) error {
	return fmt.Errorf("extend: id %d would be a hole in a Unigram vocabulary whose pre-tokenizer is not a splitting Metaspace, so no placeholder piece is sure never to match; start the new ids at %d", id, b.tok.VocabSize())
}

func placeholder(mark string, id int) string {
	return "<unused" + mark + strconv.Itoa(id) + ">"
}

// check parses the extended tokenizer.json and checks the ids of every
// old, added and new token.
func (e *Extension) check(data []byte) error {
	ext, err := tokenizer.Parse(data)
	if err != nil {
		return fmt.Errorf("extend: the extended tokenizer does not load: %w", err)
	}
	old := e.base.tok
	for id := range old.VocabSize() {
		want, ok := old.TokenString(id)
		if got, _ := ext.TokenString(id); ok && got != want {
			return fmt.Errorf("extend: id %d is %q in the extended tokenizer, %q in the base", id, got, want)
		}
	}
	for _, t := range e.Tokens {
		if id, ok := ext.ID(t.Spelling); !ok || id != t.ID {
			return fmt.Errorf("extend: new token %q has id %d in the extended tokenizer, want %d", t.Spelling, id, t.ID)
		}
	}
	if len(e.Tokens) > 0 && ext.VocabSize() != e.FirstID+len(e.Tokens) {
		return fmt.Errorf("extend: the extended tokenizer has %d ids, want %d", ext.VocabSize(), e.FirstID+len(e.Tokens))
	}
	return nil
}
