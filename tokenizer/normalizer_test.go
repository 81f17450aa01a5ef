package tokenizer

import (
	"encoding/json"
	"testing"
)

// TestNormalizeFromStart checks when normalizing moves the start of the
// text off offset 0 of the input, as the reference's alignments have it:
// deleting the first character does, and so does replacing a run of
// several; rewriting the first character does not.
func TestNormalizeFromStart(t *testing.T) {
	tests := []struct {
		normalizer string
		in, want   string
		kept       bool
	}{
		{`{"type":"Nmt"}`, "\x01ab", "ab", false},
		{`{"type":"Nmt"}`, "a\x01b", "ab", true},
		{`{"type":"Strip","strip_left":true,"strip_right":false}`, "  ab", "ab", false},
		{`{"type":"Strip","strip_left":false,"strip_right":true}`, "  ab ", "  ab", true},
		{`{"type":"StripAccents"}`, "\u0301ab", "ab", false},
		{`{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":false,"lowercase":false}`, "\x07ab", "ab", false},
		{`{"type":"BertNormalizer","clean_text":true,"handle_chinese_chars":true,"strip_accents":false,"lowercase":false}`, "中b", " 中 b", true},
		{`{"type":"Replace","pattern":{"String":"ab"},"content":""}`, "abc", "c", false},
		{`{"type":"Replace","pattern":{"String":"a"},"content":"xy"}`, "abc", "xybc", true},
		{`{"type":"Replace","pattern":{"String":"ab"},"content":"x"}`, "abc", "xc", false},
		{`{"type":"Replace","pattern":{"Regex":"^\\s+"},"content":"_"}`, " a", "_a", true},
		{`{"type":"Replace","pattern":{"Regex":"^\\s+"},"content":"_"}`, "  a", "_a", false},
		{`{"type":"Replace","pattern":{"Regex":"b"},"content":""}`, "abc", "ac", true},
		{`{"type":"Sequence","normalizers":[{"type":"Nmt"},{"type":"Prepend","prepend":"_"}]}`, "\x01a", "_a", false},
		{`{"type":"Sequence","normalizers":[{"type":"NFKC"},{"type":"Lowercase"}]}`, "ﬁA", "fia", true},
	}
	for _, tt := range tests {
		n, err := newNormalizer(json.RawMessage(tt.normalizer), "normalizer")
		if err != nil {
			t.Fatal(err)
		}
		got, kept := normalizeFrom(n, tt.in)
		if got != tt.want || kept != tt.kept {
			t.Errorf("%s on %q = %q, kept %v; want %q, kept %v", tt.normalizer, tt.in, got, kept, tt.want, tt.kept)
		}
	}
}
