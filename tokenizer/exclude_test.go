package tokenizer

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// rawModel is the part of a tokenizer.json these tests read directly, so
// that their expectations do not come from the code under test.
type rawModel struct {
	Model struct {
		Vocab  json.RawMessage `json:"vocab"`
		Merges json.RawMessage `json:"merges"`
		UnkID  *int            `json:"unk_id"`
	} `json:"model"`
}

func readRawModel(t *testing.T, name string) rawModel {
	t.Helper()
	dir := tokenizerPath(name)
	if dir == "" {
		t.Skipf("%s absent", name)
	}
	path, err := FindFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if filepath.Ext(path) == ".gz" {
		if r, err = gzip.NewReader(f); err != nil {
			t.Fatal(err)
		}
	}
	var m rawModel
	if err := json.NewDecoder(r).Decode(&m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// mergePairs reads the merge list in either of its forms.
func (m rawModel) mergePairs(t *testing.T) [][2]string {
	var lines []string
	var out [][2]string
	if json.Unmarshal(m.Model.Merges, &lines) == nil {
		for _, l := range lines {
			if a, b, ok := strings.Cut(l, " "); ok && !strings.HasPrefix(l, "#version") {
				out = append(out, [2]string{a, b})
			}
		}
		return out
	}
	var pairs [][]string
	if err := json.Unmarshal(m.Model.Merges, &pairs); err != nil {
		t.Fatal(err)
	}
	for _, p := range pairs {
		out = append(out, [2]string{p[0], p[1]})
	}
	return out
}

// A word the model produces in one piece ends with one merge; excluding the
// piece stops the word just before that merge. When only one merge rule
// makes the token, its two halves are the closed-form answer.
func TestEncodeSurfaceExcludingBPELastMerge(t *testing.T) {
	for _, name := range []string{"gpt2", "mistral-7b-v0.1", "qwen3", "synth-suffix-bpe"} {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && name == "qwen3" {
				t.Skip("a large vocabulary; the others cover -short")
			}
			tk := loadNamed(t, name)
			makers := map[string][][2]string{} // merge result → the rules making it
			for _, p := range readRawModel(t, name).mergePairs(t) {
				makers[p[0]+p[1]] = append(makers[p[0]+p[1]], p)
			}
			checked := 0
			step := 1
			if testing.Short() {
				step = 5
			}
			for id := 0; id < tk.VocabSize(); id += step {
				s := tk.Surface(id)
				tok, _ := tk.TokenString(id)
				if s.Special || len(makers[tok]) != 1 || !slices.Equal(tk.EncodeSurface(s.Bytes), []int{id}) {
					continue
				}
				a, _ := tk.ID(makers[tok][0][0])
				b, _ := tk.ID(makers[tok][0][1])
				if got := tk.EncodeSurfaceExcluding(s.Bytes, id); !slices.Equal(got, []int{a, b}) {
					t.Fatalf("token %d %q: excluding it gives %v, want the halves of its merge %q = %v", id, tok, got, makers[tok][0], []int{a, b})
				}
				checked++
			}
			t.Logf("%d tokens checked", checked)
			if checked < 10 {
				t.Errorf("only %d tokens checked", checked)
			}
		})
	}
}

// Excluding an id no token has changes nothing.
func TestEncodeSurfaceExcludingNothing(t *testing.T) {
	lines := corpus(t)
	for _, name := range conformanceTokenizers {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && !strings.HasPrefix(tokenizerPath(name), "testdata") {
				t.Skip("shared tokenizers only without -short")
			}
			tk := loadNamed(t, name)
			for i, s := range lines {
				if testing.Short() && i%5 != 0 {
					continue
				}
				want := tk.EncodeSurface([]byte(s))
				if got := tk.EncodeSurfaceExcluding([]byte(s), -1); !slices.Equal(got, want) {
					t.Fatalf("%q: %v, EncodeSurface gives %v", clip(s), got, want)
				}
			}
		})
	}
}

// Excluding a token never yields it, and in a vocabulary that can spell
// any byte the pieces still spell the token's bytes.
func TestEncodeSurfaceExcludingSpellsToken(t *testing.T) {
	for _, name := range losslessSurface {
		t.Run(name, func(t *testing.T) {
			if testing.Short() && !strings.HasPrefix(tokenizerPath(name), "testdata") {
				t.Skip("shared tokenizers only without -short")
			}
			tk := loadNamed(t, name)
			step := 7
			if testing.Short() {
				step = 31
			}
			for id := 0; id < tk.VocabSize(); id += step {
				s := tk.Surface(id)
				if s.Special || s.Unused || s.ByteFallback || len(s.Bytes) < 2 ||
					(tk.surfaceSpace != 0 && bytes.ContainsRune(s.Bytes, tk.surfaceSpace)) {
					continue
				}
				got := tk.EncodeSurfaceExcluding(s.Bytes, id)
				if slices.Contains(got, id) {
					t.Fatalf("token %d %q: %v contains it", id, s.Bytes, got)
				}
				if spelled := concatSurfaces(tk, got); !bytes.Equal(spelled, s.Bytes) {
					t.Fatalf("token %d %q: pieces %v spell %q", id, s.Bytes, got, spelled)
				}
			}
		})
	}
}

// A single character excluded from a byte-fallback vocabulary becomes its
// UTF-8 bytes.
func TestEncodeSurfaceExcludingCharacter(t *testing.T) {
	tk := loadNamed(t, "mistral-7b-v0.1")
	id, ok := tk.ID("é")
	if !ok {
		t.Fatal("no token é")
	}
	c3, _ := tk.ID("<0xC3>")
	a9, _ := tk.ID("<0xA9>")
	if got := tk.EncodeSurfaceExcluding([]byte("é"), id); !slices.Equal(got, []int{c3, a9}) {
		t.Errorf("é excluded: %v, want %v", got, []int{c3, a9})
	}
}

// WordPiece: a word whose longest other prefix in the vocabulary is itself
// less its last letter, followed by that letter as a ## piece, cuts into
// exactly those two.
func TestEncodeSurfaceExcludingWordPiece(t *testing.T) {
	tk := loadNamed(t, "bert-base-uncased")
	checked := 0
	for id := 0; id < tk.VocabSize(); id++ {
		tok, _ := tk.TokenString(id)
		if len(tok) < 3 || strings.HasPrefix(tok, "##") || !isASCIILetters(tok) {
			continue
		}
		head, ok1 := tk.ID(tok[:len(tok)-1])
		tail, ok2 := tk.ID("##" + tok[len(tok)-1:])
		if !ok1 || !ok2 {
			continue
		}
		if got := tk.EncodeSurfaceExcluding([]byte(tok), id); !slices.Equal(got, []int{head, tail}) {
			t.Fatalf("%q excluded: %v, want %v", tok, got, []int{head, tail})
		}
		checked++
	}
	if checked < 100 {
		t.Errorf("only %d words checked", checked)
	}
}

func isASCIILetters(s string) bool {
	for _, c := range []byte(s) {
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// Unigram: the cut without the piece scores as high as the best of all
// segmentations that avoid it, found by exhaustive search.
func TestEncodeSurfaceExcludingUnigram(t *testing.T) {
	tk := loadNamed(t, "t5-small")
	raw := readRawModel(t, "t5-small")
	var vocab [][2]any
	if err := json.Unmarshal(raw.Model.Vocab, &vocab); err != nil {
		t.Fatal(err)
	}
	score := map[string]float64{}
	ids := map[string]int{}
	for i, v := range vocab {
		score[v[0].(string)], ids[v[0].(string)] = v[1].(float64), i
	}
	checked := 0
	for id := 0; id < tk.VocabSize(); id += 3 {
		s := tk.Surface(id)
		tok, _ := tk.TokenString(id)
		if s.Special || utf8.RuneCountInString(tok) < 2 || utf8.RuneCountInString(tok) > 9 || !slices.Equal(tk.EncodeSurface(s.Bytes), []int{id}) {
			continue
		}
		got := tk.EncodeSurfaceExcluding(s.Bytes, id)
		if slices.Contains(got, id) {
			t.Fatalf("%q: %v contains it", tok, got)
		}
		var sum float64
		var spelled string
		for _, g := range got {
			p, _ := tk.TokenString(g)
			sum += score[p]
			spelled += p
		}
		best, ok := bestSegmentation(tok, score, tok)
		if spelled != tok || !ok || math.Abs(sum-best) > 1e-9 {
			t.Fatalf("%q excluded: %v scores %v (spells %q), exhaustive best %v", tok, got, sum, spelled, best)
		}
		checked++
	}
	if checked < 100 {
		t.Errorf("only %d pieces checked", checked)
	}
}

// bestSegmentation is the highest total score of the cuts of s into
// vocabulary pieces other than exclude, by trying all of them.
func bestSegmentation(s string, score map[string]float64, exclude string) (float64, bool) {
	if s == "" {
		return 0, true
	}
	best, found := math.Inf(-1), false
	for end := 1; end <= len(s); end++ {
		if !utf8.ValidString(s[:end]) || (end < len(s) && !utf8.RuneStart(s[end])) {
			continue
		}
		p := s[:end]
		sc, ok := score[p]
		if !ok || p == exclude {
			continue
		}
		if rest, ok := bestSegmentation(s[end:], score, exclude); ok && sc+rest > best {
			best, found = sc+rest, true
		}
	}
	return best, found
}

// WordLevel has no pieces: an excluded word is unknown.
func TestEncodeSurfaceExcludingWordLevel(t *testing.T) {
	tk := loadNamed(t, "synth-wordlevel")
	id, _ := tk.ID("lord")
	unk := tk.Specials().UNK
	if got := tk.EncodeSurfaceExcluding([]byte("lord"), id); !slices.Equal(got, []int{unk}) {
		t.Errorf("lord excluded: %v, want [unk %d]", got, unk)
	}
	if got := tk.EncodeSurfaceExcluding([]byte("lord"), id+1); !slices.Equal(got, []int{id}) {
		t.Errorf("lord, another word excluded: %v, want %v", got, []int{id})
	}
}

// An ordinary added token is excluded from added-token matching as well.
func TestEncodeSurfaceExcludingAddedToken(t *testing.T) {
	tk := loadNamed(t, "phi-2")
	checked := 0
	for _, a := range tk.AddedTokens() {
		if a.Special {
			continue
		}
		b := tk.Surface(a.ID).Bytes
		if !slices.Equal(tk.EncodeSurface(b), []int{a.ID}) {
			continue
		}
		got := tk.EncodeSurfaceExcluding(b, a.ID)
		if slices.Contains(got, a.ID) || !bytes.Equal(concatSurfaces(tk, got), b) {
			t.Fatalf("added token %d %q excluded: %v", a.ID, b, got)
		}
		checked++
	}
	if checked == 0 {
		t.Error("no added token checked")
	}
}
