package tokenizer

import "unicode/utf8"

func countRunes(s string) int { return utf8.RuneCountInString(s) }

func isValidString(s string) bool { return utf8.ValidString(s) }

// lastRuneStart returns the byte offset of the last character of s.
func lastRuneStart(s string) int {
	_, w := utf8.DecodeLastRuneInString(s)
	if w == 0 {
		w = 1
	}
	return len(s) - w
}
