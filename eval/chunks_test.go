package eval

import (
	"bytes"
	"strings"
	"testing"
)

func TestChunks(t *testing.T) {
	cases := []struct {
		name string
		text string
		max  int
		want []string
	}{
		{"empty", "", 10, nil},
		{"no blank line", "one line\nand another", 5, []string{"one line\nand another"}},
		{"packed", "aa\n\nbb\n\ncc\n\n", 8, []string{"aa\n\nbb\n\n", "cc\n\n"}},
		{"exact fit", "aa\n\nbb\n\n", 8, []string{"aa\n\nbb\n\n"}},
		{"long paragraph alone", "a\n\nbbbbbbbbbbbb\n\nc", 6, []string{"a\n\n", "bbbbbbbbbbbb\n\n", "c"}},
		{"three newlines", "a\n\n\nb", 3, []string{"a\n\n", "\nb"}},
		{"four newlines", "a\n\n\n\nb", 3, []string{"a\n\n", "\n\nb"}},
		{"tail without blank line", "aa\n\nbbb", 4, []string{"aa\n\n", "bbb"}},
		{"multi-byte text", "é\n\nü\n\n", 4, []string{"é\n\n", "ü\n\n"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Chunks([]byte(tc.text), tc.max)
			var gs []string
			for _, c := range got {
				gs = append(gs, string(c))
			}
			if strings.Join(gs, "|") != strings.Join(tc.want, "|") || len(gs) != len(tc.want) {
				t.Errorf("Chunks(%q, %d) = %q, want %q", tc.text, tc.max, gs, tc.want)
			}
		})
	}
}

// Properties that hold for any text: the chunks concatenate back to it, each
// but a lone oversized paragraph fits, and each but the last ends in a blank
// line.
func FuzzChunks(f *testing.F) {
	f.Add([]byte("a\n\nb\n\n\nc"), 4)
	f.Add([]byte("no blank lines at all"), 1)
	f.Fuzz(func(t *testing.T, text []byte, max int) {
		if max < 1 || max > 1<<20 {
			return
		}
		chunks := Chunks(text, max)
		if !bytes.Equal(bytes.Join(chunks, nil), text) {
			t.Fatalf("chunks do not concatenate back to the text")
		}
		for i, c := range chunks {
			if len(c) == 0 {
				t.Fatalf("chunk %d is empty", i)
			}
			if i < len(chunks)-1 && !bytes.HasSuffix(c, []byte("\n\n")) {
				t.Fatalf("chunk %d = %q does not end in a blank line", i, c)
			}
			if len(c) > max && bytes.Contains(c[:len(c)-2], []byte("\n\n")) {
				t.Fatalf("chunk %d has %d > %d bytes and holds more than one paragraph", i, len(c), max)
			}
		}
	})
}
