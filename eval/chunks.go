package eval

import "bytes"

// DefaultChunkBytes is the chunk size of the scoring protocol: long enough
// that chunk boundaries barely matter, short enough to encode in parallel.
const DefaultChunkBytes = 65536

// Chunks cuts text right after blank lines ("\n\n") into chunks of at most
// maxBytes bytes: the paragraphs, each with its trailing blank line, are
// packed greedily, a paragraph longer than maxBytes making a chunk of its
// own. The chunks are subslices of text and concatenate back to it.
func Chunks(text []byte, maxBytes int) [][]byte {
	var chunks [][]byte
	start, end := 0, 0 // the chunk being packed is text[start:end]
	for end < len(text) {
		next := len(text)
		if i := bytes.Index(text[end:], []byte("\n\n")); i >= 0 {
			next = end + i + 2
		}
		if end > start && next-start > maxBytes {
			chunks = append(chunks, text[start:end])
			start = end
		}
		end = next
	}
	if end > start {
		chunks = append(chunks, text[start:end])
	}
	return chunks
}
