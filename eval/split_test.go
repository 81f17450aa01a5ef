package eval

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"slices"
	"testing"

	"github.com/transplant-dev/transplant/tokenizer"
)

// byIDs is a LanguageModel whose NLL of a target, in bits, is the target's
// id plus a sixteenth of its input's: a closed form that tells each
// position's target and input apart (and is exact in binary).
type byIDs struct{ ctx int }

func (m byIDs) Context() int { return m.ctx }

func (m byIDs) NLL(dst []float64, ids, targets []int) error {
	for i, t := range targets {
		if t >= 0 {
			dst[i] = (float64(t) + float64(ids[i])/16) * math.Ln2
		}
	}
	return nil
}

// splitTokenizers are a toy vocabulary pair: the new one adds cd (id 7)
// and ba (id 8) to the old one's <unk> a b c d ␠ ab (ids 0-6, the same in
// both).
func splitTokenizers(t *testing.T) (old, new *tokenizer.Tokenizer) {
	t.Helper()
	old = bpeTokenizer(t, []string{"a", "b", "c", "d", " ", "ab"}, []string{"a b"}, false)
	new = bpeTokenizer(t, []string{"a", "b", "c", "d", " ", "ab", "cd", "ba"}, []string{"a b", "c d", "b a"}, false)
	return old, new
}

// The new tokenizer cuts "abcd cdcd z ab" into
//
//	ab cd ␠ cd cd ␠ <unk> ␠ ab
//	 6  7 5  7  7 5   0   5  6
//
// Under byIDs, with BOS 0 before it, target by target (bits = id + input/16):
//
//	ab  shared     6          2 bytes
//	cd  new        7 + 6/16   2
//	␠   after new  5 + 7/16   1
//	cd  new        7 + 5/16   2
//	cd  new        7 + 7/16   2   (new before after-new)
//	␠   after new  5 + 7/16   1
//	unk shared     0 + 5/16   0   (special: no bytes; z is lost)
//	␠   shared     5 + 0/16   1
//	ab  shared     6 + 5/16   2
//
// so new: 3 tokens, 6 bytes, 22.125 bits; after new: 2, 2, 10.875; shared:
// 4, 5, 17.625; 13 bytes in all, the text's 14 less the unknown z. Without
// BOS the first ab is never scored: shared loses 1 token, 2 bytes, 6 bits.
func TestSplitClosedForm(t *testing.T) {
	old, new := splitTokenizers(t)
	text := []byte("abcd cdcd z ab")
	cases := []struct {
		name                string
		bos, context        int
		newP, afterP, share Part
	}{
		{"bos, one window", 0, 64,
			Part{Tokens: 3, Bytes: 6, Bits: 22.125}, Part{Tokens: 2, Bytes: 2, Bits: 10.875}, Part{Tokens: 4, Bytes: 5, Bits: 17.625}},
		{"bos, windows of 3", 0, 3,
			Part{Tokens: 3, Bytes: 6, Bits: 22.125}, Part{Tokens: 2, Bytes: 2, Bits: 10.875}, Part{Tokens: 4, Bytes: 5, Bits: 17.625}},
		{"no bos", -1, 2,
			Part{Tokens: 3, Bytes: 6, Bits: 22.125}, Part{Tokens: 2, Bytes: 2, Bits: 10.875}, Part{Tokens: 3, Bytes: 3, Bits: 11.625}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			encode := func(chunks []string) [][]int { return new.EncodeBatch(chunks, false) }
			res, targets, err := BitsPerByteTargets(context.Background(), byIDs{tc.context}, text, encode, tc.bos, Options{Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			s, err := NewSplitter(old, new)
			if err != nil {
				t.Fatal(err)
			}
			sp := s.Split(targets)
			total := tc.newP.Bytes + tc.afterP.Bytes + tc.share.Bytes
			for i, want := range []Part{tc.newP, tc.afterP, tc.share} {
				want.ByteShare = float64(want.Bytes) / float64(total)
				want.BitsPerByte = want.Bits / float64(want.Bytes)
				if got := *sp.Parts()[i]; got != want {
					t.Errorf("%s: %+v, want %+v", partNames[i], got, want)
				}
			}
			var bits float64
			var tokens int
			for _, p := range sp.Parts() {
				bits += p.Bits
				tokens += p.Tokens
			}
			if tokens != res.Tokens || math.Abs(bits-res.Bits()) > 1e-12*bits || sp.Bytes() != total {
				t.Errorf("parts: %d tokens, %v bits, %d bytes; the score: %d tokens, %v bits; want %d bytes",
					tokens, bits, sp.Bytes(), res.Tokens, res.Bits(), total)
			}
		})
	}
}

// ScoreTargets puts each target's NLL at its position, whatever the
// windows, and zeros the positions it does not score.
func TestScoreTargets(t *testing.T) {
	ids := positions(300)
	scored := make([]bool, len(ids))
	for p := range scored {
		scored[p] = p%7 != 3
	}
	for _, o := range []Options{{Context: 64, Workers: 3}, {Context: 64, Stride: 20, Workers: 2}} {
		dst := slices.Repeat([]float64{-1}, len(ids))
		m := newRecorder(o.Context)
		res, err := ScoreTargets(context.Background(), dst, m, ids, scored, o)
		if err != nil {
			t.Fatal(err)
		}
		stride := max(o.Stride, 0)
		if stride == 0 {
			stride = o.Context
		}
		var sum float64
		for p := range ids {
			want := 0.0
			if p > 0 && scored[p] {
				want = recorderNLL(p, wantContext(p, o.Context, stride))
			}
			if dst[p] != want {
				t.Errorf("%+v: position %d has NLL %v, want %v", o, p, dst[p], want)
			}
			sum += dst[p]
		}
		if math.Abs(sum-res.NLL) > 1e-12*sum {
			t.Errorf("%+v: positions sum to %v, the result says %v", o, sum, res.NLL)
		}
	}
	if _, err := ScoreTargets(context.Background(), make([]float64, 10), newRecorder(8), ids, scored, Options{}); err == nil {
		t.Error("no error for 10 NLLs over 300 ids")
	}
}

func TestWorst(t *testing.T) {
	old, new := splitTokenizers(t)
	s, err := NewSplitter(old, new)
	if err != nil {
		t.Fatal(err)
	}
	bits := func(b ...float64) []float64 {
		for i := range b {
			b[i] *= math.Ln2
		}
		return b
	}
	//           BOS  cd ba ba  a  cd  ba ba(unscored)
	ids := []int{0, 7, 8, 8, 1, 7, 8, 8}
	scored := []bool{false, true, true, true, true, true, true, false}
	cd := func(b float64) TokenCost {
		return TokenCost{ID: 7, Token: "cd", Occurrences: 2, Bits: b, BitsPerOccurrence: b / 2, BitsPerByte: b / 4}
	}
	ba := func(b float64) TokenCost {
		return TokenCost{ID: 8, Token: "ba", Occurrences: 3, Bits: b, BitsPerOccurrence: b / 3, BitsPerByte: b / 6}
	}
	cases := []struct {
		name string
		nll  []float64
		n    int
		want []TokenCost
	}{
		{"costliest first", bits(0, 3, 1, 1, 9, 1, 3, 50), 5, []TokenCost{ba(5), cd(4)}},
		{"ties by id", bits(0, 3, 1, 1, 9, 1, 2, 50), 5, []TokenCost{cd(4), ba(4)}},
		{"first n", bits(0, 3, 1, 1, 9, 1, 3, 50), 1, []TokenCost{ba(5)}},
		{"none", bits(0, 3, 1, 1, 9, 1, 3, 50), 0, []TokenCost{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := s.Worst(Targets{IDs: ids, Scored: scored, NLL: tc.nll}, tc.n)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// The split's bytes follow the efficiency measure's convention, which
// scripts/golden/eval/efficiency.py checks against the official tokenizers
// library: over the bundled example, with BOS so that every token is
// scored, the new part's bytes are the new tokenizer's NotSharedBytes and
// all parts' bytes its SurfaceBytes; split against itself, the old
// tokenizer has no new token and its bytes are its SurfaceBytes.
func TestSplitMatchesEfficiency(t *testing.T) {
	var want Efficiency
	readJSON(t, filepath.Join("testdata", "efficiency", "example.json"), &want)
	text, old, new := exampleTokenizers(t)
	split := func(tok *tokenizer.Tokenizer) Split {
		s, err := NewSplitter(old, tok)
		if err != nil {
			t.Fatal(err)
		}
		encode := func(chunks []string) [][]int { return tok.EncodeBatch(chunks, false) }
		// Any BOS id will do: BOS positions are never scored.
		_, targets, err := BitsPerByteTargets(context.Background(), byIDs{1 << 20}, text, encode, 0, Options{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		return s.Split(targets)
	}
	if sp := split(new); sp.New.Tokens != want.New.NotShared || sp.New.Bytes != want.New.NotSharedBytes || sp.Bytes() != want.New.SurfaceBytes {
		t.Errorf("new tokenizer: split %+v; want %d bytes in all, %d in %d new tokens", sp, want.New.SurfaceBytes, want.New.NotSharedBytes, want.New.NotShared)
	}
	if sp := split(old); sp.New.Tokens != 0 || sp.AfterNew.Tokens != 0 || sp.Bytes() != want.Old.SurfaceBytes || sp.Shared.ByteShare != 1 {
		t.Errorf("old tokenizer against itself: split %+v; want every token shared, %d bytes", sp, want.Old.SurfaceBytes)
	}
	t.Logf("text %d bytes; tokens' bytes: old %d, new %d", len(text), want.Old.SurfaceBytes, want.New.SurfaceBytes)
}

// The issue names the JSON keys: split.new, split.after_new and
// split.shared, each with byte_share and bits_per_byte. A score without a
// split has no split key.
func TestSplitJSON(t *testing.T) {
	s := newModelScore("runs/subword", Result{NLL: 1, Tokens: 1, Bytes: 1}, 8, 8)
	plain, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(plain, &m); err != nil {
		t.Fatal(err)
	}
	if _, ok := m["split"]; ok {
		t.Errorf("a score without a split has a split key: %s", plain)
	}
	s.Split = &Split{New: Part{ByteShare: 0.25, BitsPerByte: 3}, AfterNew: Part{ByteShare: 0.125, BitsPerByte: 2}, Shared: Part{ByteShare: 0.625, BitsPerByte: 1}}
	s.WorstNew = []TokenCost{{ID: 7, Token: "cd", Occurrences: 2, Bits: 4}}
	js, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Split map[string]map[string]float64 `json:"split"`
		Worst []map[string]any              `json:"worst_new_tokens"`
	}
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string][2]float64{"new": {0.25, 3}, "after_new": {0.125, 2}, "shared": {0.625, 1}} {
		p := back.Split[key]
		if p["byte_share"] != want[0] || p["bits_per_byte"] != want[1] {
			t.Errorf("split.%s = %v, want byte_share %v, bits_per_byte %v", key, p, want[0], want[1])
		}
	}
	if len(back.Worst) != 1 || back.Worst[0]["token"] != "cd" || back.Worst[0]["occurrences"] != 2.0 {
		t.Errorf("worst_new_tokens %v", back.Worst)
	}
}
