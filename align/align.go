package align

import (
	"fmt"
	"sort"
)

// Kind says where a row of the new tables comes from.
type Kind uint8

const (
	// Padding is a row no token uses: past the new vocabulary, or an id
	// with no token.
	Padding Kind = iota
	// Exact copies the old row of a token with the same spelling and bytes.
	Exact
	// ByBytes copies the old row of a token spelled differently that
	// stands for the same bytes.
	ByBytes
	// ByRole copies the old special token with the same role (bos, eos, ...).
	ByRole
	// BySpelling copies the old special token spelled the same.
	BySpelling
	// Mapped copies the old token the caller paired it with.
	Mapped
	// New is an ordinary token the old vocabulary lacks: a method builds it.
	New
	// NewSpecial is a special token with no counterpart.
	NewSpecial
	// Unemitted is a byte-fallback token the new tokenizer never emits,
	// since a token of its own holds the byte as a character, while the
	// old tokenizer does emit it (an extension that learned "\n" as a
	// token, where the base spelled it "<0x0A>"). Its row is copied from
	// a byte-fallback token the old tokenizer never emits either: the
	// base learned never to predict that one, whereas its own row would
	// go on predicting the byte beside the token that now holds it, and
	// take that token's probability a second time. Moving the shared
	// model A onto Gemma 3's tokenizer without a donor (its "<0x0A>" and
	// "<0x09>"), held-out text went from 1.0587 of A's bits per byte to
	// 1.0519, Go doc comments from 0.9980 to 0.9912, licenses from 1.0180
	// to 1.0104 and Python docs from 1.0122 to 1.0038.
	Unemitted
)

var kindNames = [...]string{"padding", "exact", "bytes", "role", "special-spelling", "mapped", "new", "new-special", "unemitted"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Known reports whether k is one of the kinds above, for readers of
// alignments saved by another version.
func (k Kind) Known() bool { return int(k) < len(kindNames) }

// Copied reports whether rows of this kind are copied from an old row.
func (k Kind) Copied() bool { return k >= Exact && k <= Mapped || k == Unemitted }

// Options tune Align.
type Options struct {
	// OldRows is the number of rows of the base embedding. Old ids at or
	// past it have no row to copy (tokenizers often define a few more ids
	// than a checkpoint has rows). Zero means one row per old id.
	OldRows int
	// Map pairs old spellings with new ones, for special tokens that play
	// the same part under different names ("<|im_start|>" ↔
	// "<|start_header_id|>"). It overrides every other match.
	Map map[string]string
	// PadToMultipleOf rounds the new row count up. Zero infers it from the
	// base: a base with more rows than tokens was padded to the largest of
	// 256, 128, ..., 8 dividing its row count. One means no padding.
	PadToMultipleOf int
}

// An Alignment says, for each row of the new tables, where it comes from.
type Alignment struct {
	// Rows is the row count of the new embedding and head.
	Rows int
	// Kind and Source are indexed by new row. Source is the old id a
	// copied row comes from, and -1 otherwise.
	Kind   []Kind
	Source []int
	// Report summarizes the alignment.
	Report Report
}

// Align matches the new vocabulary against the old one.
func Align(old, new *Vocab, opts Options) (*Alignment, error) {
	oldRows := opts.OldRows
	if oldRows == 0 {
		oldRows = len(old.Tokens)
	}
	rows, err := newRowCount(len(old.Tokens), oldRows, len(new.Tokens), opts.PadToMultipleOf)
	if err != nil {
		return nil, err
	}
	a := &Alignment{Rows: rows, Kind: make([]Kind, rows), Source: make([]int, rows)}
	for i := range a.Source {
		a.Source[i] = -1
	}
	idx := indexOld(old, oldRows)
	a.matchOrdinary(old, new, idx)
	a.matchByEmission(old, new, idx, oldRows)
	a.matchRoles(old, new, oldRows)
	if err := a.matchMap(old, new, opts.Map, oldRows); err != nil {
		return nil, err
	}
	a.matchSpecialSpellings(new, idx)
	a.Report = report(old, new, a, idx, oldRows)
	return a, nil
}

// oldIndex finds old tokens by spelling and by byte key.
type oldIndex struct {
	bySpelling map[string]int
	byKey      map[string]int
}

// indexOld indexes the old tokens that have a row. Among old tokens with
// the same bytes, a regular token is preferred to a byte-fallback one (its
// row was trained on that text), then the lower id.
func indexOld(old *Vocab, oldRows int) *oldIndex {
	idx := &oldIndex{bySpelling: map[string]int{}, byKey: map[string]int{}}
	for id := 0; id < min(len(old.Tokens), oldRows); id++ {
		t := &old.Tokens[id]
		if t.Unused {
			continue
		}
		if _, dup := idx.bySpelling[t.Spelling]; !dup {
			idx.bySpelling[t.Spelling] = id
		}
		if t.Special {
			continue
		}
		k := t.key()
		if prev, ok := idx.byKey[k]; !ok || (old.Tokens[prev].ByteFallback && !t.ByteFallback) {
			idx.byKey[k] = id
		}
	}
	return idx
}

func (a *Alignment) set(newID int, k Kind, oldID int) {
	a.Kind[newID], a.Source[newID] = k, oldID
}

// matchOrdinary gives every ordinary new token its old row, by spelling when
// spelling and bytes agree, otherwise by bytes, otherwise marks it New.
func (a *Alignment) matchOrdinary(old, new *Vocab, idx *oldIndex) {
	for id := range new.Tokens {
		t := &new.Tokens[id]
		switch {
		case t.Unused:
			a.set(id, Padding, -1)
		case t.Special:
			a.set(id, NewSpecial, -1)
		default:
			if o, ok := idx.bySpelling[t.Spelling]; ok && sameMeaning(&old.Tokens[o], t) {
				a.set(id, Exact, o)
			} else if o, ok := idx.byKey[t.key()]; ok {
				a.set(id, ByBytes, o)
			} else {
				a.set(id, New, -1)
			}
		}
	}
}

// matchByEmission mends the matches of byte-fallback tokens that one
// tokenizer writes and the other never does. One the new tokenizer no
// longer writes (see Unemitted) takes the row of the first byte-fallback
// token the old one never writes, when there is one. One the new tokenizer
// writes where the old wrote the byte as an ordinary token (the old "\n"
// beside its silent "<0x0A>") takes that token's row, which the base
// trained to predict the byte, rather than the silent one's.
func (a *Alignment) matchByEmission(old, new *Vocab, idx *oldIndex, oldRows int) {
	oldSilent, newSilent := unemittedBytes(old), unemittedBytes(new)
	silent := -1 // the first byte-fallback token the old tokenizer never writes
	for id := 0; id < min(len(old.Tokens), oldRows) && silent < 0; id++ {
		if t := &old.Tokens[id]; t.ByteFallback && !t.Unused && len(t.Bytes) == 1 && oldSilent[t.Bytes[0]] {
			silent = id
		}
	}
	for id := range new.Tokens {
		t := &new.Tokens[id]
		if !t.ByteFallback || t.Unused || len(t.Bytes) != 1 || !a.Kind[id].Copied() {
			continue
		}
		switch b := t.Bytes[0]; {
		case newSilent[b] && !oldSilent[b] && silent >= 0:
			a.set(id, Unemitted, silent)
		case !newSilent[b] && oldSilent[b]:
			if o, ok := idx.byKey[string(t.Bytes)]; ok && !old.Tokens[o].ByteFallback {
				a.set(id, ByBytes, o)
			}
		}
	}
}

// unemittedBytes marks the bytes whose byte-fallback token v's tokenizer
// never emits: a byte fallback stands only for characters the vocabulary
// lacks, so a one-byte character that an ordinary token spells whole is
// never written as its byte.
func unemittedBytes(v *Vocab) (silent [256]bool) {
	for i := range v.Tokens {
		t := &v.Tokens[i]
		if !t.Special && !t.ByteFallback && !t.Unused && !t.WordInitial && len(t.Bytes) == 1 && t.Bytes[0] < 0x80 {
			silent[t.Bytes[0]] = true
		}
	}
	return silent
}

func sameMeaning(o, n *Token) bool {
	return !o.Special && o.key() == n.key()
}

// roleOrder decides which role wins when one token plays several (GPT-2's
// "<|endoftext|>" is bos and eos): the end of sequence matters most, since
// generation stops on it.
var roleOrder = []Role{EOS, BOS, PAD, UNK}

func (a *Alignment) matchRoles(old, new *Vocab, oldRows int) {
	done := map[int]bool{}
	for _, r := range roleOrder {
		o, okOld := old.Roles[r]
		n, okNew := new.Roles[r]
		if !okOld || !okNew || o < 0 || o >= oldRows || n < 0 || n >= len(new.Tokens) || done[n] {
			continue
		}
		a.set(n, ByRole, o)
		done[n] = true
	}
}

func (a *Alignment) matchMap(old, new *Vocab, m map[string]string, oldRows int) error {
	oldIDs, newIDs := spellingIndex(old), spellingIndex(new)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, os := range keys {
		ns := m[os]
		o, ok := oldIDs[os]
		if !ok {
			return fmt.Errorf("align: map %q=%q: %q is not a token of the old tokenizer", os, ns, os)
		}
		if o >= oldRows {
			return fmt.Errorf("align: map %q=%q: old id %d has no row in the base embedding (%d rows)", os, ns, o, oldRows)
		}
		n, ok := newIDs[ns]
		if !ok {
			return fmt.Errorf("align: map %q=%q: %q is not a token of the new tokenizer", os, ns, ns)
		}
		a.set(n, Mapped, o)
	}
	return nil
}

func spellingIndex(v *Vocab) map[string]int {
	m := make(map[string]int, len(v.Tokens))
	for id := len(v.Tokens) - 1; id >= 0; id-- {
		if !v.Tokens[id].Unused {
			m[v.Tokens[id].Spelling] = id
		}
	}
	return m
}

// matchSpecialSpellings copies special tokens both vocabularies spell the
// same ("<|endoftext|>" in GPT-2 and Qwen) when no role or map placed them.
func (a *Alignment) matchSpecialSpellings(new *Vocab, idx *oldIndex) {
	for id := range new.Tokens {
		if a.Kind[id] != NewSpecial {
			continue
		}
		if o, ok := idx.bySpelling[new.Tokens[id].Spelling]; ok {
			a.set(id, BySpelling, o)
		}
	}
}

// newRowCount pads the new vocabulary size as the base was padded.
func newRowCount(oldVocab, oldRows, newVocab, multiple int) (int, error) {
	if multiple < 0 {
		return 0, fmt.Errorf("align: pad-to-multiple-of must not be negative (have %d)", multiple)
	}
	if multiple == 0 {
		multiple = 1
		if oldRows > oldVocab {
			for _, m := range []int{256, 128, 64, 32, 16, 8} {
				if oldRows%m == 0 {
					multiple = m
					break
				}
			}
		}
	}
	return (newVocab + multiple - 1) / multiple * multiple, nil
}
