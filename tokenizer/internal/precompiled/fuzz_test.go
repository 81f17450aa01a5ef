package precompiled

import (
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds arbitrary blobs to Parse: a malformed one must give an
// error, and whatever parses must normalize any text without panicking.
func FuzzParse(f *testing.F) {
	f.Add(handBuilt())
	f.Add([]byte{4, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{8, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x61, 0x03, 0, 0, 'x', 0})
	f.Fuzz(func(t *testing.T, blob []byte) {
		n, err := Parse(blob)
		if err != nil {
			return
		}
		for _, s := range []string{"a", "ab\u0301", "Ａ\u0301x", "\r\n", string(blob), string(blob[4:])} {
			n.Normalize(s)
		}
	})
}

// FuzzNormalize checks, with the T5 charsmap, that any string normalizes
// without panicking and that valid UTF-8 stays valid.
func FuzzNormalize(f *testing.F) {
	n := loadT5(f)
	for _, s := range []string{"", "Ａ\u0301x", "\r\n", "👨\u200d👩", "a\xffb", "क्ष", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := n.Normalize(s)
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("Normalize(%+q) = %+q, not valid UTF-8", s, got)
		}
	})
}

// FuzzNormalizeInvalid checks that an invalid byte is copied through and
// splits the text around it into independently normalized parts.
func FuzzNormalizeInvalid(f *testing.F) {
	n := loadT5(f)
	f.Add("Ａ", "\u0301x")
	f.Add("\r", "\n")
	f.Add("👩", "\u0301\x1f")
	f.Fuzz(func(t *testing.T, a, b string) {
		if !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		s := a + "\xff" + b
		if got, want := n.Normalize(s), n.Normalize(a)+"\xff"+n.Normalize(b); got != want {
			t.Fatalf("Normalize(%+q) = %+q, want %+q", s, got, want)
		}
	})
}
