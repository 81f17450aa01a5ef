package eval

import (
	"context"
	"math"
	"path/filepath"
	"testing"
)

// Counted by hand: the old tokenizer cuts "abcd ab x\n\ncd z" into
// ab cd ␠ ab ␠ <0x78> \n \n cd ␠ <unk> (x by byte fallback, z unknown);
// the new one into abcd ␠ ab ␠ x \n \n cd ␠ <unk>, where abcd is the only
// token the old vocabulary lacks (x matches <0x78> by its byte).
func TestCompareEfficiency(t *testing.T) {
	old := bpeTokenizer(t, []string{"a", "b", "c", "d", " ", "\n", "<0x78>", "ab", "cd"}, []string{"a b", "c d"}, true)
	tokens := mergeTokens("abcdx", []string{"a b", "c d", "ab cd"})
	tokens = append(tokens, " ", "\n")
	new := bpeTokenizer(t, tokens, []string{"a b", "c d", "ab cd"}, false)
	text := []byte("abcd ab x\n\ncd z")
	var calls int
	e, err := CompareEfficiency(context.Background(), text, old, new, EfficiencyOptions{ChunkBytes: 8, Progress: func(done, total int) {
		calls++
		if done > total || total != 2*len(text) {
			t.Errorf("progress %d of %d", done, total)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if e.Bytes != 15 || e.Words != 5 {
		t.Errorf("%d bytes, %d words; want 15, 5", e.Bytes, e.Words)
	}
	want := [2]TokenizerEfficiency{
		{Tokens: 11, ByteFallback: 1, Unknown: 1, SurfaceBytes: 14,
			BytesPerToken: 15.0 / 11, TokensPerWord: 11.0 / 5, ByteFallbackFraction: 1.0 / 11},
		{Tokens: 10, Unknown: 1, NotShared: 1, NotSharedBytes: 4, SurfaceBytes: 14,
			BytesPerToken: 1.5, TokensPerWord: 2, NotSharedShare: 4.0 / 14},
	}
	for i, got := range []TokenizerEfficiency{e.Old, e.New} {
		w := want[i]
		floats := [][2]float64{{got.BytesPerToken, w.BytesPerToken}, {got.TokensPerWord, w.TokensPerWord},
			{got.ByteFallbackFraction, w.ByteFallbackFraction}, {got.NotSharedShare, w.NotSharedShare}}
		ok := got.Tokens == w.Tokens && got.ByteFallback == w.ByteFallback && got.Unknown == w.Unknown &&
			got.NotShared == w.NotShared && got.NotSharedBytes == w.NotSharedBytes && got.SurfaceBytes == w.SurfaceBytes
		for _, f := range floats {
			ok = ok && math.Abs(f[0]-f[1]) < 1e-12
		}
		if !ok {
			t.Errorf("tokenizer %d: %+v\nwant %+v", i, got, w)
		}
	}
	if calls == 0 {
		t.Error("no progress reported")
	}
}

func TestCountWords(t *testing.T) {
	for text, want := range map[string]int{
		"":                     0,
		"   ":                  0,
		"one":                  1,
		" two  words\n":        2,
		"tab\tand\u00a0nbsp":   3,
		"a\u2003b\u3000c":      3,
		"ill\xffformed bytes":  2,
		"naïve café, déjà-vu.": 3,
	} {
		if got := countWords([]byte(text)); got != want {
			t.Errorf("countWords(%q) = %d, want %d", text, got, want)
		}
	}
}

func TestCompareEfficiencyCancelled(t *testing.T) {
	tok := bpeTokenizer(t, []string{"a"}, nil, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := CompareEfficiency(ctx, []byte("aaa"), tok, tok, EfficiencyOptions{}); err == nil {
		t.Error("a cancelled context gave a result")
	}
}

// TestEfficiencyGolden compares the counts on the bundled example with
// those of scripts/golden/eval/efficiency.js, which encodes with the
// official tokenizers library and derives token bytes on its own.
func TestEfficiencyGolden(t *testing.T) {
	var want Efficiency
	readJSON(t, filepath.Join("testdata", "efficiency", "example.json"), &want)
	text, old, tok := exampleTokenizers(t)
	got, err := CompareEfficiency(context.Background(), text, old, tok, EfficiencyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Bytes != want.Bytes || got.Words != want.Words {
		t.Errorf("%d bytes, %d words; want %d, %d", got.Bytes, got.Words, want.Bytes, want.Words)
	}
	for _, c := range []struct {
		name      string
		got, want TokenizerEfficiency
	}{{"old", got.Old, want.Old}, {"new", got.New, want.New}} {
		g, w := c.got, c.want
		if g.Tokens != w.Tokens || g.ByteFallback != w.ByteFallback || g.Unknown != w.Unknown || g.SurfaceBytes != w.SurfaceBytes ||
			g.NotShared != w.NotShared || g.NotSharedBytes != w.NotSharedBytes {
			t.Errorf("%s tokenizer: %+v\nreference %+v", c.name, g, w)
		}
	}
}
