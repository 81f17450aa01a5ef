package extend

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCorpusNotUTF8(t *testing.T) {
	base := openBase(t, "gpt2")
	long := strings.Repeat("word and word\n", 5000) // 70,000 bytes, past the first chunk
	noBreak := strings.Repeat("ж", 40000)           // 80,000 bytes without a line break
	for _, tc := range []struct {
		name   string
		corpus string
		offset int64 // -1: valid
	}{
		{"first byte", "\xffabc", 0},
		{"lone continuation", "hello w\x80rld", 7},
		{"bad second byte", "hello wörld \xc3(", 13},
		{"surrogate", "ab\xed\xa0\x80cd", 2},
		{"overlong", "ab\xc0\xafcd", 2},
		{"truncated at the end", "abc\xe2\x82", 3},
		{"after the first chunk", long + "x\xfe", int64(len(long)) + 1},
		{"character across a chunk's end", strings.Repeat("a", chunkSize-1) + "é and more", -1},
		{"long line", noBreak + noBreak, -1},
		{"long line, then a bad byte", noBreak + "\x80", int64(len(noBreak))},
		{"long line, truncated", noBreak + "\xd0", int64(len(noBreak))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Learn(context.Background(), base, strings.NewReader(tc.corpus), Options{Add: 3})
			var ce *CorpusError
			switch {
			case tc.offset < 0 && err != nil:
				t.Fatalf("valid corpus: %v", err)
			case tc.offset >= 0 && !errors.As(err, &ce):
				t.Fatalf("got %v, want a *CorpusError", err)
			case tc.offset >= 0 && ce.Offset != tc.offset:
				t.Fatalf("offset %d, want %d (%v)", ce.Offset, tc.offset, err)
			}
		})
	}
}

func TestFewCandidates(t *testing.T) {
	base := openBase(t, "gpt2")
	ext := learn(t, base, []byte("transplantation transplantation transplantation of tokens\n"), Options{Add: 1000})
	if !errors.Is(ext.Warning, ErrFewCandidates) {
		t.Fatalf("warning %v, want ErrFewCandidates", ext.Warning)
	}
	if len(ext.Tokens) == 0 || len(ext.Tokens) >= 1000 {
		t.Fatalf("%d tokens learned", len(ext.Tokens))
	}
	if _, err := ext.Files(); err != nil {
		t.Fatal(err)
	}
	// Nothing asked, nothing learned, and the file stays as it was.
	ext = learn(t, base, []byte("transplantation transplantation\n"), Options{Add: 0})
	files, err := ext.Files()
	if err != nil || len(ext.Tokens) != 0 || ext.Warning != nil {
		t.Fatalf("Add 0: %d tokens, warning %v, error %v", len(ext.Tokens), ext.Warning, err)
	}
	if !bytes.Equal(files["tokenizer.json"], base.files["tokenizer.json"]) {
		t.Error("Add 0 changed tokenizer.json")
	}
}

func TestUnsupportedModel(t *testing.T) {
	_, err := Open(tokenizerDir(t, "synth-wordlevel"))
	if !errors.Is(err, ErrUnsupportedModel) || !strings.Contains(err.Error(), "WordLevel") {
		t.Fatalf("got %v, want ErrUnsupportedModel naming WordLevel", err)
	}
}

func TestWrite(t *testing.T) {
	// A base directory of our own, so that the test may write around it.
	root := t.TempDir()
	in := filepath.Join(root, "base")
	src := tokenizerDir(t, "mistral-7b-v0.1")
	if err := os.MkdirAll(in, 0o777); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(src)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(in, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(in, link); err != nil {
		t.Fatal(err)
	}
	base, err := Open(in)
	if err != nil {
		t.Fatal(err)
	}
	ext := learn(t, base, testCorpus(t), Options{Add: 50})
	for _, out := range []string{in, filepath.Join(in, "out"), filepath.Join(in, "a", "b"), filepath.Join(link, "out")} {
		if err := ext.Write(out); !errors.Is(err, ErrOutputInsideInput) {
			t.Errorf("Write(%s): %v, want ErrOutputInsideInput", out, err)
		}
	}
	if _, err := os.Stat(filepath.Join(in, "out")); !os.IsNotExist(err) {
		t.Errorf("a refused Write left %s/out behind", in)
	}

	out := filepath.Join(root, "out")
	if err := ext.Write(out); err != nil {
		t.Fatal(err)
	}
	files, err := ext.Files()
	if err != nil {
		t.Fatal(err)
	}
	written, _ := os.ReadDir(out)
	if len(written) != len(files) {
		t.Errorf("wrote %d files, want %d", len(written), len(files))
	}
	for name, data := range files {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: not written as Files gives it (%v)", name, err)
		}
		if want, ok := base.files[name]; ok && name != "tokenizer.json" && !bytes.Equal(got, want) {
			t.Errorf("companion %s changed", name)
		}
	}
	back, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := back.Tokenizer().Specials(), base.Tokenizer().Specials(); !slices.Equal(got.IDs, want.IDs) || got.BOS != want.BOS || got.EOS != want.EOS || got.UNK != want.UNK {
		t.Errorf("special tokens %+v, base %+v", got, want)
	}
	if got := back.Tokenizer().VocabSize(); got != base.Tokenizer().VocabSize()+len(ext.Tokens) {
		t.Errorf("written tokenizer has %d ids, want %d", got, base.Tokenizer().VocabSize()+len(ext.Tokens))
	}
}

// A Unigram vocabulary is a list, so unused ids need placeholder pieces;
// without a splitting Metaspace no placeholder is sure never to match, and
// Learn refuses the hole.
func TestUnigramHole(t *testing.T) {
	src := openBase(t, "synth-unigram")
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(src.files["tokenizer.json"], &doc); err != nil {
		t.Fatal(err)
	}
	doc["pre_tokenizer"] = json.RawMessage(`{"type":"WhitespaceSplit"}`)
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	base, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	corpus := testCorpus(t)
	corpus = corpus[:bytes.LastIndexByte(corpus[:50000], '\n')+1]
	_, err = Learn(context.Background(), base, bytes.NewReader(corpus), Options{Add: 20, FirstID: base.Tokenizer().VocabSize() + 8})
	if err == nil || !strings.Contains(err.Error(), "hole") {
		t.Errorf("a hole without a splitting Metaspace: %v", err)
	}
	ext := learn(t, base, corpus, Options{Add: 20})
	if _, err := ext.Files(); err != nil {
		t.Errorf("no hole: %v", err)
	}
	// With the splitting Metaspace the placeholders are written.
	ext = learn(t, src, corpus, Options{Add: 20, FirstID: src.Tokenizer().VocabSize() + 8})
	tok, err := ext.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	for id := src.Tokenizer().VocabSize(); id < ext.FirstID; id++ {
		if s, _ := tok.TokenString(id); !strings.HasPrefix(s, "<unused▁") {
			t.Errorf("id %d is %q, want a placeholder", id, s)
		}
	}
}

// Counting forgets rare words when the table fills, and the result does
// not depend on the number of cores.
func TestPruningDeterministic(t *testing.T) {
	base := openBase(t, "gpt2")
	corpus := testCorpus(t)
	var results [][]byte
	for _, procs := range []int{1, 2, 3} {
		prev := runtime.GOMAXPROCS(procs)
		ext := learn(t, base, corpus, Options{Add: 100, MaxWords: 2000})
		runtime.GOMAXPROCS(prev)
		if ext.Stats.Pruned == 0 || ext.Stats.DistinctWords > 2000 {
			t.Fatalf("MaxWords 2000: %d distinct words, pruned below %d", ext.Stats.DistinctWords, ext.Stats.Pruned)
		}
		files, err := ext.Files()
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, files["tokenizer.json"])
	}
	for i := 1; i < len(results); i++ {
		if !bytes.Equal(results[i], results[0]) {
			t.Errorf("the result depends on GOMAXPROCS")
		}
	}
}

func TestCancel(t *testing.T) {
	base := openBase(t, "gpt2")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Learn(ctx, base, bytes.NewReader(testCorpus(t)), Options{Add: 10}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: %v", err)
	}
	for _, name := range []string{"gpt2", "synth-unigram", "bert-base-uncased"} {
		ctx, cancel = context.WithCancel(context.Background())
		opts := Options{Add: 200, Progress: func(p Progress) {
			if p.Stage == Learning {
				cancel()
			}
		}}
		if _, err := Learn(ctx, openBase(t, name), bytes.NewReader(testCorpus(t)), opts); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: cancelled while learning: %v", name, err)
		}
		cancel()
	}
}

func TestProgress(t *testing.T) {
	var seen []Progress
	ext := learn(t, openBase(t, "gpt2"), testCorpus(t), Options{Add: 40, Progress: func(p Progress) { seen = append(seen, p) }})
	var last Progress
	for i, p := range seen {
		if i > 0 && (p.Stage < last.Stage || (p.Stage == last.Stage && p.Done < last.Done)) {
			t.Fatalf("progress went back from %+v to %+v", last, p)
		}
		last = p
	}
	if first := seen[0]; first.Stage != Counting {
		t.Errorf("first report %+v", first)
	}
	if last.Stage != Learning || last.Done != int64(len(ext.Tokens)) || last.Total != 40 {
		t.Errorf("last report %+v, %d tokens learned", last, len(ext.Tokens))
	}
}

// A byte-fallback vocabulary gains characters it spelled in bytes, and the
// new tokens keep its style: Mistral's tokens never put a digit beside
// another character, nor, when asked, a letter beside punctuation or
// anything at all beside a line break.
func TestByteFallbackAndStyle(t *testing.T) {
	base := openBase(t, "mistral-7b-v0.1")
	ext := learn(t, base, testCorpus(t), Options{Add: 300, NoLineBreaks: true})
	chars := 0
	for _, nt := range ext.Tokens {
		has, runes := classes(nt.Bytes)
		if has[digit] && runes > 1 {
			t.Errorf("new token %q puts a digit beside another character", nt.Spelling)
		}
		if has[letter] && has[other] {
			t.Errorf("new token %q puts a letter beside punctuation", nt.Spelling)
		}
		if nt.Merge == [2]string{} {
			chars++
			if utf8.RuneCount(nt.Bytes) != 1 || len(nt.Pieces) != len(nt.Bytes) {
				t.Errorf("new character %q: pieces %v", nt.Spelling, nt.Pieces)
			}
			for _, id := range nt.Pieces {
				if !base.Tokenizer().Surface(id).ByteFallback {
					t.Errorf("new character %q: piece %d is not a byte token", nt.Spelling, id)
				}
			}
		}
	}
	if chars == 0 {
		t.Error("no character learned from a corpus with Chinese, Japanese and Korean text")
	}
	// Mistral spells "\n" in bytes, so no new token holds it, nor does one
	// when the candidates run out and only characters that save nothing
	// are left.
	scarce := learn(t, base, testCorpus(t), Options{Add: 300, MinFrequency: 40, NoLineBreaks: true})
	if scarce.Warning == nil {
		t.Fatalf("%d tokens learned with MinFrequency 40: want fewer than 300", len(scarce.Tokens))
	}
	for _, nt := range slices.Concat(ext.Tokens, scarce.Tokens) {
		if bytes.ContainsRune(nt.Bytes, '\n') {
			t.Errorf("new token %q holds a line break", nt.Spelling)
		}
		if nt.Merge == [2]string{} && len(nt.Pieces) < 2 {
			t.Errorf("new character %q saves nothing", nt.Spelling)
		}
	}
}

// TestLineBreaks: unless Options.NoLineBreaks a base that spells "\n" in bytes
// learns it as a character, which saves nothing itself, right before the
// merge of two line breaks that needs it, and the extended tokenizer
// writes every line break with the new tokens, never in bytes.
func TestLineBreaks(t *testing.T) {
	base := openBase(t, "mistral-7b-v0.1")
	ext := learn(t, base, testCorpus(t), Options{Add: 300})
	at := map[string]int{}
	for i, nt := range ext.Tokens {
		at[nt.Spelling] = i
		if bytes.ContainsAny(nt.Bytes, "\n\r") && !onlyBreaks(nt.Bytes) {
			t.Errorf("new token %q joins a line break to something else", nt.Spelling)
		}
	}
	nl, okNL := at["\n"]
	nn, okNN := at["\n\n"]
	if !okNL || !okNN || nn != nl+1 {
		t.Fatalf("\"\\n\" learned %v at %d, \"\\n\\n\" %v at %d: want both, one after the other", okNL, nl, okNN, nn)
	}
	lf, _ := base.Tokenizer().ID("<0x0A>")
	if c := ext.Tokens[nl]; c.Saved != 0 || !slices.Equal(c.Pieces, []int{lf}) {
		t.Errorf("\"\\n\": saved %d, pieces %v", c.Saved, c.Pieces)
	}
	if m := ext.Tokens[nn].Merge; m != [2]string{"\n", "\n"} {
		t.Errorf("\"\\n\\n\" merges %q", m)
	}
	tok, err := ext.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	got := tok.Encode("one\ntwo\n\nthree\n\n\nfour", false)
	if slices.Contains(got, lf) {
		t.Errorf("a line break encodes in bytes: %v", got)
	}
	for _, want := range []int{ext.Tokens[nl].ID, ext.Tokens[nn].ID} {
		if !slices.Contains(got, want) {
			t.Errorf("%v lacks new id %d", got, want)
		}
	}
}

func TestStyle(t *testing.T) {
	st := style{digitsAlone: true, noMixing: true, unseenBreaks: "\n"}
	for _, tc := range []struct {
		text string
		ok   bool
	}{
		{" hello", true}, {"7", true}, {" 7", false}, {"2024", false}, {"him,", false},
		{"}.]", true}, {"日本", true}, {"\xe6\x97", true}, {"a\xe6", true},
		{"².", true}, // ² is a number of another kind (No), not a decimal digit
		{".\n", false}, {"\n\n", false}, {"\r\n", false}, {".\r", true}, {"\t", true},
	} {
		if got := st.allows([]byte(tc.text)); got != tc.ok {
			t.Errorf("allows(%q) = %v, want %v", tc.text, got, tc.ok)
		}
	}
	// GPT-2 has "'s", " 2024" and "\n\n"; Mistral has none of these
	// kinds, though it has ".\r".
	st.breaksAlone = true // unless Options.NoLineBreaks
	for _, tc := range []struct {
		text string
		ok   bool
	}{{"\n", true}, {"\n\n", true}, {"\r\n", true}, {".\n", false}, {"\n ", false}, {"\na", false}} {
		if got := st.allows([]byte(tc.text)); got != tc.ok {
			t.Errorf("with line breaks: allows(%q) = %v, want %v", tc.text, got, tc.ok)
		}
	}
	if got := inferStyle(openBase(t, "gpt2").Tokenizer(), Options{}); got.digitsAlone || got.noMixing || got.unseenBreaks != "" {
		t.Errorf("gpt2 style %+v", got)
	}
	if got := inferStyle(openBase(t, "mistral-7b-v0.1").Tokenizer(), Options{}); !got.digitsAlone || !got.noMixing || got.unseenBreaks != "\n" {
		t.Errorf("mistral style %+v", got)
	}
}

func TestMarkOnlyFirst(t *testing.T) {
	for _, tc := range []struct {
		s  string
		ok bool
	}{
		{"▁hello", true}, {"hello", true}, {"hello▁", false}, {"▁▁", false}, {"a▁b", false}, {"▁", true},
	} {
		if got := markOnlyFirst(tc.s, "▁"); got != tc.ok {
			t.Errorf("markOnlyFirst(%q) = %v", tc.s, got)
		}
	}
	if !markOnlyFirst("a▁b", "") {
		t.Error("no mark: anything goes")
	}
}
