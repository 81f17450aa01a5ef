package tokenizer

// Words: the model's view of a text, for code that learns from how a
// vocabulary cuts a corpus (package extend).

// EncodeWords runs Encode(text, false) one model input at a time: it calls
// f, in text order, with every word the model encodes (a piece of text
// between added tokens, normalized and cut by the pre-tokenizer) and the ids
// the model gives it, and with every added token (word nil, ids its one
// id). The ids of all calls, concatenated, are Encode(text, false).
//
// A word is spelled as the model reads it: in the byte-level alphabet for
// byte-level vocabularies ("Ġhello"), with the normalizer's and
// pre-tokenizer's space mark where they put one ("▁hello"). word and ids are
// valid only during the call.
func (t *Tokenizer) EncodeWords(text string, f func(word []byte, ids []int)) {
	ws := t.workspace()
	defer t.workspaces.Put(ws)
	var word []byte
	var ids []int
	t.main.eachPiece(text, ws, func(p piece) {
		if p.id >= 0 {
			ids = append(ids[:0], p.id)
			f(nil, ids)
			return
		}
		ids = t.main.model.tokenize(ids[:0], p, ws)
		if p.raw {
			word = spellBytes(word[:0], p.text)
		} else {
			word = append(word[:0], p.text...)
		}
		f(word, ids)
	})
}

// EncodeWord returns the ids the model gives one word spelled as
// EncodeWords yields it, without normalizing, pre-tokenizing or matching
// added tokens.
func (t *Tokenizer) EncodeWord(word string) []int {
	ws := t.workspace()
	defer t.workspaces.Put(ws)
	ws.ids = t.model.tokenize(ws.ids[:0], piece{text: word, id: -1}, ws)
	return append([]int(nil), ws.ids...)
}
