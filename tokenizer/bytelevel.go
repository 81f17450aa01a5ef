package tokenizer

import "unicode/utf8"

// The byte-level alphabet of GPT-2: every byte is spelled as one printable
// character. Bytes that are printable Latin-1 stand for themselves; the
// others (controls, space, a few Latin-1 gaps) are moved to U+0100 and up,
// in byte order.
var (
	byteToRune [256]rune
	runeToByte = map[rune]byte{}
	// byteSpelling[b] is byteToRune[b] encoded as UTF-8, ready to append.
	byteSpelling [256]string
)

func init() {
	n := rune(0)
	for b := 0; b < 256; b++ {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			byteToRune[b] = rune(b)
		} else {
			byteToRune[b] = 256 + n
			n++
		}
		runeToByte[byteToRune[b]] = byte(b)
		byteSpelling[b] = string(byteToRune[b])
	}
}

// spellBytes appends the byte-level spelling of s to dst.
func spellBytes(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		dst = append(dst, byteSpelling[s[i]]...)
	}
	return dst
}

// unspellBytes decodes a byte-level spelling back to raw bytes; ok is false
// when some character is outside the alphabet.
func unspellBytes(dst []byte, s string) (_ []byte, ok bool) {
	n := len(dst)
	for _, r := range s {
		b, found := runeToByte[r]
		if !found {
			return dst[:n], false
		}
		dst = append(dst, b)
	}
	return dst, true
}

// validUTF8 replaces each maximal ill-formed subsequence of b with U+FFFD,
// as Rust's String::from_utf8_lossy and the WHATWG decoder do.
func validUTF8(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		r, w := utf8.DecodeRune(b[i:])
		if r != utf8.RuneError || w > 1 {
			out = append(out, b[i:i+w]...)
			i += w
			continue
		}
		out = append(out, "\uFFFD"...)
		i += maximalSubpart(b[i:])
	}
	return string(out)
}

// maximalSubpart returns the length of the longest prefix of b that starts
// a well-formed UTF-8 sequence without completing it (at least 1).
func maximalSubpart(b []byte) int {
	c := b[0]
	var need int
	lo, hi := byte(0x80), byte(0xBF)
	switch {
	case c >= 0xC2 && c <= 0xDF:
		need = 1
	case c == 0xE0:
		need, lo = 2, 0xA0
	case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
		need = 2
	case c == 0xED:
		need, hi = 2, 0x9F
	case c == 0xF0:
		need, lo = 3, 0x90
	case c >= 0xF1 && c <= 0xF3:
		need = 3
	case c == 0xF4:
		need, hi = 3, 0x8F
	default:
		return 1
	}
	i := 1
	for ; i <= need && i < len(b); i++ {
		if b[i] < lo || b[i] > hi {
			break
		}
		lo, hi = 0x80, 0xBF
	}
	return i
}
