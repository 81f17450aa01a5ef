package eval

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/transplant-dev/transplant/tokenizer"
)

// located scores text with tok under byIDs, BOS 0, and locates the targets.
func located(t *testing.T, tok *tokenizer.Tokenizer, text []byte) Targets {
	t.Helper()
	encode := func(chunks []string) [][]int { return tok.EncodeBatch(chunks, false) }
	_, targets, err := BitsPerByteTargets(context.Background(), byIDs{64}, text, encode, 0, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := targets.Locate(tok, text, 0, Options{}); err != nil {
		t.Fatal(err)
	}
	return targets
}

// The baselines below join b and c first, then a and b (and d and d);
// the model's tokenizer (splitTokenizers' new one) joins a and b, then c
// and d. With BOS 0 and byIDs (bits = id + input/16), on "abcdab":
//
//	baseline  a 1      bc 5 + 1/16   d 4 + 5/16   ab 6 + 4/16
//	model     ab (shared)            cd (new)     ab (after new)
//
// both cut after d and at the end: the baseline's a, bc and d (10.375
// bits) go half to ab and half to cd, by their 2 bytes each, and its ab
// (6.25 bits) to the model's last ab. On "abcdd":
//
//	baseline  a 1      bc 5 + 1/16   dd 7 + 5/16
//	model     ab (shared)  cd (new)  d (after new)
//
// they cut only at the end: the baseline's 13.375 bits go 2:2:1 by bytes.
func TestSplitAgainstClosedForm(t *testing.T) {
	_, model := splitTokenizers(t)
	cases := []struct {
		text                  string
		tokens, merges        []string
		ends                  []int
		newB, afterB, sharedB float64
	}{
		{"abcdab", []string{"a", "b", "c", "d", "bc", "ab"}, []string{"b c", "a b"}, []int{-1, 1, 3, 4, 6}, 5.1875, 6.25, 5.1875},
		{"abcdd", []string{"a", "b", "c", "d", "bc", "ab", "dd"}, []string{"b c", "a b", "d d"}, []int{-1, 1, 3, 5}, 5.35, 2.675, 5.35},
	}
	for _, tc := range cases {
		t.Run(tc.text, func(t *testing.T) {
			baseline := bpeTokenizer(t, tc.tokens, tc.merges, false)
			s, err := NewSplitter(baseline, model)
			if err != nil {
				t.Fatal(err)
			}
			base := located(t, baseline, []byte(tc.text))
			if !slices.Equal(base.Ends, tc.ends) {
				t.Fatalf("baseline ends %v, want %v", base.Ends, tc.ends)
			}
			scored := located(t, model, []byte(tc.text))
			sp := s.SplitAgainst(scored, base)
			// The one new token, cd, gets the new part's baseline bits.
			if w := s.WorstAgainst(scored, base, 5); len(w) != 1 || w[0].Token != "cd" ||
				math.Abs(w[0].BaselineBits-tc.newB) > 1e-12 || math.Abs(w[0].BaselineBitsPerByte-tc.newB/2) > 1e-12 {
				t.Errorf("worst new tokens %+v, want cd with %v baseline bits", w, tc.newB)
			}
			if !sp.Baseline {
				t.Fatal("no baseline bits")
			}
			for i, want := range []float64{tc.newB, tc.afterB, tc.sharedB} {
				p := sp.Parts()[i]
				if math.Abs(p.BaselineBits-want) > 1e-12 || math.Abs(p.BaselineBitsPerByte-want/float64(p.Bytes)) > 1e-12 {
					t.Errorf("%s: baseline %v bits, %v per byte; want %v over %d bytes", partNames[i], p.BaselineBits, p.BaselineBitsPerByte, want, p.Bytes)
				}
			}
		})
	}
}

// Unknown text cannot be located: the split has no baseline bits.
func TestSplitAgainstUnknownText(t *testing.T) {
	old, new := splitTokenizers(t)
	text := []byte("abcd cdcd z ab")
	base := located(t, old, text)
	if base.Ends != nil {
		t.Fatalf("located text with an unknown character: %v", base.Ends)
	}
	s, err := NewSplitter(old, new)
	if err != nil {
		t.Fatal(err)
	}
	if sp := s.SplitAgainst(located(t, new, text), base); sp.Baseline || sp.Shared.BaselineBits != 0 {
		t.Errorf("split has baseline bits: %+v", sp)
	}
}

// Over the bundled example's text and real tokenizers (byte-level and
// SentencePiece-style, prefix spaces included): the baseline's bits over
// the parts add up to its score, and split against itself each part's
// baseline bits are its own.
func TestSplitAgainstExample(t *testing.T) {
	text, old, new := exampleTokenizers(t)
	base := located(t, old, text)
	var baseBits float64
	for i, nll := range base.NLL {
		if base.Scored[i] {
			baseBits += nll / math.Ln2
		}
	}
	for _, tc := range []struct {
		name string
		tok  *tokenizer.Tokenizer
	}{{"new tokenizer", new}, {"itself", old}} {
		s, err := NewSplitter(old, tc.tok)
		if err != nil {
			t.Fatal(err)
		}
		sp := s.SplitAgainst(located(t, tc.tok, text), base)
		if !sp.Baseline {
			t.Fatalf("%s: not located", tc.name)
		}
		var sum float64
		for _, p := range sp.Parts() {
			sum += p.BaselineBits
			if tc.tok == old && math.Abs(p.BaselineBits-p.Bits) > 1e-9*p.Bits {
				t.Errorf("%s: part has %v bits but the baseline %v", tc.name, p.Bits, p.BaselineBits)
			}
		}
		if math.Abs(sum-baseBits) > 1e-9*baseBits {
			t.Errorf("%s: the parts hold %v of the baseline's %v bits", tc.name, sum, baseBits)
		}
		if tc.tok == new && sp.New.Tokens == 0 {
			t.Errorf("%s: no new token", tc.name)
		}
	}
}

// exampleTokenizers loads the bundled example's held-out text, its base's
// tokenizer and the new one.
func exampleTokenizers(t *testing.T) (text []byte, old, new *tokenizer.Tokenizer) {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("..", "testdata", "example", "heldout.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if old, err = tokenizer.Load(filepath.Join("..", "testdata", "example", "base")); err != nil {
		t.Fatal(err)
	}
	if new, err = tokenizer.Load(filepath.Join("..", "testdata", "example", "new-tokenizer")); err != nil {
		t.Fatal(err)
	}
	return text, old, new
}
