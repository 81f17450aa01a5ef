package precompiled

import (
	"strings"
	"unicode/utf8"

	"github.com/clipperhouse/uax29/v2/graphemes"
)

// wholeClusterLimit is the cluster length, in bytes, from which Hugging Face
// stops looking a cluster up whole and goes character by character.
const wholeClusterLimit = 6

// lookup returns the replacement for the shortest trie key that is a
// prefix of key. A value pointing past the pool or into the middle of a
// character finds nothing; a well-formed charsmap has neither.
func (n *Normalizer) lookup(key string) (string, bool) {
	v, ok := n.trie.shortestPrefix(key)
	if !ok || uint64(v) > uint64(len(n.pool)) {
		return "", false
	}
	s := n.pool[v:]
	if s != "" && !utf8.RuneStart(s[0]) {
		return "", false
	}
	if end := strings.IndexByte(s, 0); end >= 0 {
		s = s[:end]
	}
	return s, true
}

// Normalize applies the charsmap the way Hugging Face tokenizers'
// Precompiled normalizer does (see the package documentation).
//
// Bytes that are not valid UTF-8, which Hugging Face can never be given,
// are copied through unchanged, and the valid text between them is
// normalized as separate strings.
func (n *Normalizer) Normalize(s string) string {
	if utf8.ValidString(s) {
		return n.normalizeValid(s)
	}
	var b strings.Builder
	b.Grow(len(s))
	for s != "" {
		valid := 0
		for valid < len(s) {
			r, w := utf8.DecodeRuneInString(s[valid:])
			if r == utf8.RuneError && w == 1 {
				break
			}
			valid += w
		}
		b.WriteString(n.normalizeValid(s[:valid]))
		if valid < len(s) {
			b.WriteByte(s[valid])
			valid++
		}
		s = s[valid:]
	}
	return b.String()
}

// normalizeValid normalizes valid UTF-8 text cluster by cluster.
func (n *Normalizer) normalizeValid(s string) string {
	var b strings.Builder
	modified := false
	copied := 0 // s[:copied] is in b
	replace := func(start, end int, with string) {
		if !modified {
			b.Grow(len(s) + len(with))
			modified = true
		}
		b.WriteString(s[copied:start])
		b.WriteString(with)
		copied = end
	}
	iter := graphemes.FromString(s)
	for iter.Next() {
		start, cluster := iter.Start(), iter.Value()
		if len(cluster) == 1 && cluster[0] < utf8.RuneSelf {
			if r := n.ascii[cluster[0]]; r.ok {
				replace(start, start+1, r.with)
			}
			continue
		}
		_, first := utf8.DecodeRuneInString(cluster)
		if len(cluster) < wholeClusterLimit {
			if r, ok := n.lookup(cluster); ok {
				replace(start, start+len(cluster), r)
				continue
			}
			if first == len(cluster) {
				continue // one character: its own lookup was the one just made
			}
		}
		for i := 0; i < len(cluster); {
			_, w := utf8.DecodeRuneInString(cluster[i:])
			if r, ok := n.lookup(cluster[i : i+w]); ok {
				replace(start+i, start+i+w, r)
			}
			i += w
		}
	}
	if !modified {
		return s
	}
	b.WriteString(s[copied:])
	return b.String()
}
