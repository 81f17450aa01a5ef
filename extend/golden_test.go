package extend

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/transplant-dev/transplant/tokenizer"
)

// The golden test: tokenizers of every family are extended with tokens
// learned on testdata/corpus.txt.gz, and the extended tokenizer.json must
// encode testdata/lines.jsonl.gz exactly as the reference library does
// (goldens from scripts/golden/extend/golden.js).

var writeDir = flag.String("extend.write", "", "write the extended tokenizers of TestGolden into this directory (for scripts/golden/extend/golden.js) instead of checking them")

// goldenCases are the tokenizers extended for the goldens and how.
var goldenCases = []struct {
	name  string
	opts  Options
	short bool // run with -short too
}{
	{"gpt2", Options{Add: 300, MixPunctuation: true}, true},                                   // byte-level BPE
	{"qwen3", Options{Add: 300, FirstID: 151936, MixPunctuation: true}, false},                // byte-level, merges as pairs, added tokens past the vocabulary, padded embedding
	{"llama3", Options{Add: 300, FirstID: 128256, MixPunctuation: true}, false},               // byte-level with ignore_merges (shared only)
	{"mistral-7b-v0.1", Options{Add: 300, MixPunctuation: true, NoLineBreaks: true}, true},    // SentencePiece BPE, byte fallback, Metaspace without split, CRLF file
	{"mistral-legacy", Options{Add: 300}, false},                                              // the same vocabulary, Prepend and Replace normalizers; line breaks learned
	{"t5-small", Options{Add: 300, FirstID: 32128, MixPunctuation: true}, false},              // Unigram, padded embedding: placeholders
	{"synth-unigram", Options{Add: 100, MixPunctuation: true}, true},                          // Unigram with byte fallback
	{"bert-base-uncased", Options{Add: 300, MixPunctuation: true}, true},                      // WordPiece
	{"synth-prefix-bpe", Options{Add: 100, MixPunctuation: true}, true},                       // BPE with a continuing-subword prefix
	{"synth-suffix-bpe", Options{Add: 100, MixPunctuation: true}, true},                       // BPE with an end-of-word suffix
	{"synth-split-bytelevel", Options{Add: 100, MinFrequency: 3, MixPunctuation: true}, true}, // byte-level with ignore_merges
}

type goldenRow struct {
	IDs []int   `json:"ids"`
	SP  []int   `json:"sp"`
	Dec *string `json:"dec"`
}

type goldenManifest struct {
	LinesSHA256 string `json:"lines_sha256"`
	Tokenizers  map[string]struct {
		JSONSHA256 string `json:"json_sha256"`
	} `json:"tokenizers"`
}

func TestGolden(t *testing.T) {
	corpus := testCorpus(t)
	linesPath := filepath.Join("testdata", "lines.jsonl.gz")
	lines := readJSONLines[string](t, linesPath)
	var manifest goldenManifest
	if *writeDir == "" {
		data, err := os.ReadFile(filepath.Join("testdata", "golden", "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(data, &manifest); err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(readGzip(t, linesPath)); hex.EncodeToString(sum[:]) != manifest.LinesSHA256 {
			t.Fatal("lines.jsonl.gz changed since the goldens were made: regenerate them (scripts/golden/extend/README.md)")
		}
	}
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && !tc.short && *writeDir == "" {
				t.Skip("large tokenizer: only without -short")
			}
			base := openBase(t, tc.name)
			ext := learn(t, base, corpus, tc.opts)
			// Unigram may end short: pieces the corpus never uses are dropped.
			if len(ext.Tokens) < tc.opts.Add*9/10 || (len(ext.Tokens) < tc.opts.Add) != (ext.Warning != nil) {
				t.Fatalf("learned %d tokens of %d, warning %v", len(ext.Tokens), tc.opts.Add, ext.Warning)
			}
			files, err := ext.Files()
			if err != nil {
				t.Fatal(err)
			}
			data := files["tokenizer.json"]
			if *writeDir != "" {
				dir := filepath.Join(*writeDir, tc.name)
				if err := os.MkdirAll(dir, 0o777); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			sum := sha256.Sum256(data)
			if got, want := hex.EncodeToString(sum[:]), manifest.Tokenizers[tc.name].JSONSHA256; got != want {
				t.Fatalf("the extended tokenizer.json is not the one the goldens were made from (sha256 %s, golden %s): if learning changed on purpose, regenerate them (scripts/golden/extend/README.md)", got, want)
			}
			tok, err := tokenizer.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			golden := readJSONLines[goldenRow](t, filepath.Join("testdata", "golden", tc.name+".jsonl.gz"))
			if len(golden) != len(lines) {
				t.Fatalf("golden has %d rows, lines %d", len(golden), len(lines))
			}
			checkAppendOnly(t, base.files["tokenizer.json"], data)
			checkGolden(t, tok, lines, golden)
			checkReachable(t, base, tok, ext, corpus)
			checkOldText(t, base, tok, ext, lines)
			checkCounts(t, base.Tokenizer(), tok, ext, corpus)
		})
	}
}

// checkGolden compares ids, ids with special tokens, and decodes.
func checkGolden(t *testing.T, tok *tokenizer.Tokenizer, lines []string, golden []goldenRow) {
	t.Helper()
	bad := 0
	for i, text := range lines {
		g := golden[i]
		wantSP, wantDec := g.SP, text
		if wantSP == nil {
			wantSP = g.IDs
		}
		if g.Dec != nil {
			wantDec = *g.Dec
		}
		got, gotSP, gotDec := tok.Encode(text, false), tok.Encode(text, true), tok.Decode(g.IDs, false)
		if slices.Equal(got, g.IDs) && slices.Equal(gotSP, wantSP) && gotDec == wantDec {
			continue
		}
		bad++
		if bad <= 3 {
			t.Errorf("line %d %q:\n ids %v\nwant %v\n sp  %v\nwant %v\n dec %q\nwant %q", i, text, got, g.IDs, gotSP, wantSP, gotDec, wantDec)
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d lines differ from the reference", bad, len(lines))
	}
}

// checkReachable: every new token is what its own text alone becomes, as
// a word (unless it is a BPE token that cannot stand first or last in a
// word, having the continuing-subword prefix or lacking the end-of-word
// suffix) and, when the pre-tokenizer keeps its bytes one word, as raw
// bytes. And every new token is used: it occurs in the encoding of the
// corpus, or is part of a later token, whose learning used up its
// occurrences.
func checkReachable(t *testing.T, base *Base, tok *tokenizer.Tokenizer, ext *Extension, corpus []byte) {
	t.Helper()
	prefix, suffix := base.model.prefix, base.model.suffix
	if base.model.family != "BPE" {
		prefix, suffix = "", ""
	}
	for _, nt := range ext.Tokens {
		if (prefix != "" && strings.HasPrefix(nt.Spelling, prefix)) || !strings.HasSuffix(nt.Spelling, suffix) {
			continue
		}
		word := strings.TrimSuffix(nt.Spelling, suffix)
		if ids := tok.EncodeWord(word); !slices.Equal(ids, []int{nt.ID}) {
			t.Errorf("new token %d %q: the word %q encodes to %v", nt.ID, nt.Spelling, word, ids)
		}
		if !utf8.Valid(nt.Bytes) || base.Tokenizer().Surface(nt.Pieces[0]).Continuation {
			continue
		}
		if ids := tok.EncodeSurface(nt.Bytes); !slices.Equal(ids, []int{nt.ID}) && oneWord(tok, nt.Bytes) {
			t.Errorf("new token %d %q: its bytes %q encode to %v", nt.ID, nt.Spelling, nt.Bytes, ids)
		}
	}
	used := map[int]bool{}
	chunkedCount(func(s string) []int {
		ids := tok.Encode(s, false)
		for _, id := range ids {
			used[id] = true
		}
		return ids
	}, corpus)
	for _, m := range ext.Merges {
		for _, side := range m {
			if id, ok := tok.ID(side); ok {
				used[id] = true
			}
		}
	}
	for _, nt := range ext.Tokens {
		for _, side := range nt.Merge {
			if id, ok := tok.ID(side); ok {
				used[id] = true
			}
		}
	}
	for _, nt := range ext.Tokens {
		if !used[nt.ID] {
			t.Errorf("new token %d %q is never used on the corpus", nt.ID, nt.Spelling)
		}
	}
}

// oneWord reports whether the pre-tokenizer leaves b one word.
func oneWord(tok *tokenizer.Tokenizer, b []byte) bool {
	n := 0
	tok.EncodeWords(string(b), func(word []byte, _ []int) { n++ })
	return n == 1
}

// checkOldText: a line none of whose words holds a new token's spelling
// encodes exactly as before the extension. Enough lines must be such
// lines for the check to mean something.
func checkOldText(t *testing.T, base *Base, tok *tokenizer.Tokenizer, ext *Extension, lines []string) {
	t.Helper()
	old := base.Tokenizer()
	var texts []string // the new tokens as they stand in words
	for _, nt := range ext.Tokens {
		s := strings.TrimSuffix(strings.TrimPrefix(nt.Spelling, base.model.prefix), base.model.suffix)
		texts = append(texts, s)
	}
	oldOnly := 0
	for i, text := range lines {
		touched := false
		old.EncodeWords(text, func(word []byte, _ []int) {
			for _, s := range texts {
				if strings.Contains(string(word), s) {
					touched = true
					return
				}
			}
		})
		if touched {
			continue
		}
		oldOnly++
		if got, want := tok.Encode(text, true), old.Encode(text, true); !slices.Equal(got, want) {
			t.Errorf("line %d %q holds no new token but encodes to %v, before %v", i, text, got, want)
		}
	}
	if oldOnly < len(lines)/10 {
		t.Errorf("only %d of %d lines hold no new token", oldOnly, len(lines))
	}
	t.Logf("%d of %d lines hold no new token", oldOnly, len(lines))
}

// checkCounts: Learn's token counts are the real ones on the corpus.
func checkCounts(t *testing.T, old, tok *tokenizer.Tokenizer, ext *Extension, corpus []byte) {
	t.Helper()
	enc := func(t *tokenizer.Tokenizer) func(string) []int {
		return func(s string) []int { return t.Encode(s, false) }
	}
	before, after := chunkedCount(enc(old), corpus), chunkedCount(enc(tok), corpus)
	if ext.Stats.TokensBefore != before || ext.Stats.TokensAfter != after {
		t.Errorf("Stats say %d tokens before and %d after, the tokenizers %d and %d", ext.Stats.TokensBefore, ext.Stats.TokensAfter, before, after)
	}
	b, a := ext.Stats.BytesPerToken()
	t.Logf("%d new tokens: %d → %d tokens on the corpus (%.3f → %.3f bytes per token)", len(ext.Tokens), before, after, b, a)
}
