package extend

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/transplant-dev/transplant/tokenizer"
)

// A Base is a tokenizer to extend: the tokenizer itself, and the files it
// came from, kept byte for byte so that an extension changes nothing but
// what it adds.
type Base struct {
	dir   string            // the directory of the tokenizer file
	files map[string][]byte // tokenizer.json (decompressed) and its companions
	tok   *tokenizer.Tokenizer
	model baseModel
}

// baseModel is what learning and writing need to know about the model
// section of tokenizer.json that the Tokenizer does not say.
type baseModel struct {
	family string         // "BPE", "Unigram" or "WordPiece"
	vocab  map[string]int // the model's own tokens (not the added ones)

	// BPE
	byteFallback  bool
	ignoreMerges  bool
	prefix        string // continuing_subword_prefix (also WordPiece's)
	suffix        string // end_of_word_suffix
	mergesAsPairs bool   // merges written as [a, b] rather than "a b"
	unk           string // unk_token, or ""
	// fallbackMerged: some merge names a byte-fallback token (<0xNN>),
	// so a new character would change what those merges see.
	fallbackMerged bool

	// Unigram
	unkID    int       // -1: none
	pieces   []string  // by id
	scores   []float64 // by id
	minScore float64
	// gapSafe: every word the pre-tokenizer makes has the space mark only
	// at its start (a splitting Metaspace), so a piece with the mark
	// inside never matches; placeholders for unused ids are spelled so.
	gapSafe bool
	mark    string // the Metaspace replacement, for placeholders
}

// Open reads the tokenizer at path (a tokenizer.json, a tokenizer.json.gz,
// or a directory holding one) and its companion files. A model family that
// cannot be extended is an error wrapping ErrUnsupportedModel.
func Open(path string) (*Base, error) {
	file, err := tokenizer.FindFile(path)
	if err != nil {
		return nil, err
	}
	files, err := tokenizer.Files(path)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.Load(path)
	if err != nil {
		return nil, err
	}
	b := &Base{dir: filepath.Dir(file), files: files, tok: tok}
	if b.model, err = readModel(files["tokenizer.json"], tok.ModelType()); err != nil {
		return nil, fmt.Errorf("extend: %s: %w", file, err)
	}
	return b, nil
}

// Tokenizer returns the base tokenizer.
func (b *Base) Tokenizer() *tokenizer.Tokenizer { return b.tok }

// readModel reads the model section of a tokenizer.json the Tokenizer has
// already accepted, so only the family's own fields are checked here.
func readModel(data []byte, family string) (baseModel, error) {
	var file struct {
		Model        json.RawMessage `json:"model"`
		PreTokenizer json.RawMessage `json:"pre_tokenizer"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return baseModel{}, err
	}
	var m struct {
		Vocab        json.RawMessage `json:"vocab"`
		Merges       json.RawMessage `json:"merges"`
		ByteFallback bool            `json:"byte_fallback"`
		IgnoreMerges bool            `json:"ignore_merges"`
		Prefix       *string         `json:"continuing_subword_prefix"`
		Suffix       *string         `json:"end_of_word_suffix"`
		Unk          *string         `json:"unk_token"`
		UnkID        *int            `json:"unk_id"`
	}
	if err := json.Unmarshal(file.Model, &m); err != nil {
		return baseModel{}, err
	}
	var err error
	bm := baseModel{family: family, byteFallback: m.ByteFallback, ignoreMerges: m.IgnoreMerges}
	if m.Prefix != nil {
		bm.prefix = *m.Prefix
	}
	if m.Suffix != nil {
		bm.suffix = *m.Suffix
	}
	if m.Unk != nil {
		bm.unk = *m.Unk
	}
	switch family {
	case "BPE", "WordPiece":
		if family == "WordPiece" && m.Prefix == nil {
			bm.prefix = "##"
		}
		if err := json.Unmarshal(m.Vocab, &bm.vocab); err != nil {
			return baseModel{}, err
		}
		if family == "BPE" {
			bm.mergesAsPairs = firstElement(m.Merges) == '['
			if bm.fallbackMerged, err = mergesNameByteTokens(m.Merges, bm.mergesAsPairs); err != nil {
				return baseModel{}, err
			}
		}
	case "Unigram":
		var items [][2]any
		if err := json.Unmarshal(m.Vocab, &items); err != nil {
			return baseModel{}, err
		}
		bm.vocab = make(map[string]int, len(items))
		bm.minScore = math.Inf(1)
		for i, it := range items {
			piece, _ := it[0].(string)
			score, _ := it[1].(float64)
			bm.vocab[piece] = i
			bm.pieces = append(bm.pieces, piece)
			bm.scores = append(bm.scores, score)
			bm.minScore = min(bm.minScore, score)
		}
		bm.mark, bm.gapSafe = splittingMetaspace(file.PreTokenizer)
		bm.unkID = -1
		if m.UnkID != nil {
			bm.unkID = *m.UnkID
		}
	default:
		return baseModel{}, fmt.Errorf("%w: %s (only BPE, Unigram and WordPiece models can learn new tokens)", ErrUnsupportedModel, familyName(family))
	}
	return bm, nil
}

func familyName(family string) string {
	if family == "" {
		return "an unknown model type"
	}
	return family
}

// firstElement returns the first byte of the first element of a JSON
// array, or 0 when it is empty.
func firstElement(arr []byte) byte {
	arr = bytes.TrimSpace(arr)
	if len(arr) < 2 || arr[0] != '[' {
		return 0
	}
	inner := bytes.TrimSpace(arr[1 : len(arr)-1])
	if len(inner) == 0 {
		return 0
	}
	return inner[0]
}

// splittingMetaspace reports whether the pre-tokenizer ends with a
// Metaspace that splits at its mark, and the mark: then no word has the
// mark past its first character.
func splittingMetaspace(raw json.RawMessage) (string, bool) {
	var pt struct {
		Type          string            `json:"type"`
		Replacement   *string           `json:"replacement"`
		Split         *bool             `json:"split"`
		PreTokenizers []json.RawMessage `json:"pretokenizers"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &pt) != nil {
		return "", false
	}
	if pt.Type == "Sequence" || (pt.Type == "" && pt.PreTokenizers != nil) {
		if len(pt.PreTokenizers) == 0 {
			return "", false
		}
		return splittingMetaspace(pt.PreTokenizers[len(pt.PreTokenizers)-1])
	}
	if pt.Type != "Metaspace" && !(pt.Type == "" && pt.Replacement != nil) {
		return "", false
	}
	mark := "▁"
	if pt.Replacement != nil {
		mark = *pt.Replacement
	}
	return mark, pt.Split == nil || *pt.Split
}

// mergesNameByteTokens reports whether a merge names a byte-fallback token.
func mergesNameByteTokens(raw json.RawMessage, pairs bool) (bool, error) {
	var sides []string
	if pairs {
		var ps [][]string
		if err := json.Unmarshal(raw, &ps); err != nil {
			return false, err
		}
		for _, p := range ps {
			sides = append(sides, p...)
		}
	} else {
		var lines []string
		if err := json.Unmarshal(raw, &lines); err != nil {
			return false, err
		}
		for _, l := range lines {
			sides = append(sides, strings.Fields(l)...)
		}
	}
	for _, s := range sides {
		if isByteToken(s) {
			return true, nil
		}
	}
	return false, nil
}

// isByteToken reports whether s is spelled as a byte-fallback token, <0xNN>.
func isByteToken(s string) bool {
	const hex = "0123456789ABCDEF"
	return len(s) == 6 && strings.HasPrefix(s, "<0x") && s[5] == '>' &&
		strings.IndexByte(hex, s[3]) >= 0 && strings.IndexByte(hex, s[4]) >= 0
}
