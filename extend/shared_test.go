package extend

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/tokenizer"
)

// The shared models' check (shared/models/README.md): model A's Mistral
// tokenizer extended with 2,000 tokens learned on calib.txt must encode
// heldout.txt, text it never saw, in fewer tokens: at least 5% fewer when
// new tokens may join letters and punctuation (10.7% measured), at least
// 4% when they keep to the base's style as by default (4.7% measured; the
// price of a model that reads its new tokens far better, see
// Options.MixPunctuation).
func TestSharedModelA(t *testing.T) {
	dir := sharedDir("models", "A-mistral")
	if dir == "" {
		t.Skip("shared/models/A-mistral not found above the package directory")
	}
	calib, err := os.ReadFile(filepath.Join(dir, "..", "calib.txt"))
	if err != nil {
		t.Fatal(err)
	}
	heldout, err := os.ReadFile(filepath.Join(dir, "..", "heldout.txt"))
	if err != nil {
		t.Fatal(err)
	}
	base, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opts  Options
		fewer float64
	}{
		{Options{Add: 2000}, 0.04},
		{Options{Add: 2000, MixPunctuation: true}, 0.05},
	} {
		checkFewer(t, base, calib, heldout, tc.opts, tc.fewer)
	}
}

func checkFewer(t *testing.T, base *Base, calib, heldout []byte, opts Options, want float64) {
	t.Helper()
	ext := learn(t, base, calib, opts)
	if len(ext.Tokens) != 2000 {
		t.Fatalf("%d tokens learned: %v", len(ext.Tokens), ext.Warning)
	}
	tok, err := ext.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	before, after := countChunks(base.Tokenizer(), heldout), countChunks(tok, heldout)
	fewer := 1 - float64(after)/float64(before)
	b, a := ext.Stats.BytesPerToken()
	t.Logf("mix punctuation %v: calib.txt: %d → %d tokens (%.3f → %.3f bytes per token)", opts.MixPunctuation, ext.Stats.TokensBefore, ext.Stats.TokensAfter, b, a)
	t.Logf("heldout.txt: %d → %d tokens (%.3f → %.3f bytes per token), %.1f%% fewer",
		before, after, float64(len(heldout))/float64(before), float64(len(heldout))/float64(after), 100*fewer)
	if fewer < want {
		t.Errorf("mix punctuation %v: only %.1f%% fewer tokens on heldout.txt, want at least %.0f%%", opts.MixPunctuation, 100*fewer, 100*want)
	}
}

// countChunks counts tokens as the shared models' protocol encodes a text:
// in chunks of at most 65,536 bytes cut right after blank lines, without
// special tokens.
func countChunks(tok *tokenizer.Tokenizer, text []byte) int {
	n := 0
	var chunk strings.Builder
	flush := func() {
		n += len(tok.Encode(chunk.String(), false))
		chunk.Reset()
	}
	for _, para := range strings.SplitAfter(string(text), "\n\n") {
		if chunk.Len() > 0 && chunk.Len()+len(para) > 65536 {
			flush()
		}
		chunk.WriteString(para)
	}
	flush()
	return n
}
