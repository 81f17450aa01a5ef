package transplant

import (
	"context"
	"math"
	"strings"
	"testing"
)

// Onto Phi-2's tokenizer two spaces before a word are one token, where the
// base reads "▁" then the spaced word: the row of "  " gets the path "▁",
// with the share of the base's reads of "▁" that a spaced word follows,
// the others being the space before a digit, which Mistral's tokenizer
// reads as "▁" "1"; after a full stop always a word, after "▁Count" never,
// each shrunk towards the share over all reads as if 20 more reads had it.
// A share below half is no path; nor is "▁▁", never read, one for the
// row of "   ".
func TestRecutPaths(t *testing.T) {
	s, err := Open(context.Background(), Inputs{Base: "testdata/example/base", Tokenizer: tokenizerDir("phi-2")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	newID, oldID := tokenIDs(t, s)
	two, three := newID("  "), newID("   ")
	rows := []recutRow{{old: oldID("▁▁"), new: two}, {old: oldID("▁▁▁"), new: three}}
	stop, count := oldID("."), oldID("▁Count")
	for _, tc := range []struct {
		words, digits int
		want          []recutPath
	}{
		{30, 10, []recutPath{{old: oldID("▁"), share: 0.75, after: map[int]float64{stop: (30 + 20*0.75) / 50.0, count: 20 * 0.75 / 30}}}},
		{25, 25, []recutPath{{old: oldID("▁"), share: 0.5, after: map[int]float64{stop: (25 + 10) / 45.0, count: 10 / 45.0}}}},
		{10, 30, nil},
	} {
		text := strings.Repeat("It ends.  Then more. ", tc.words) + strings.Repeat("Count 1 up. ", tc.digits)
		rp := s.recutProjectionOf(s.calStreamOf([]byte(text), -1), rows, 192)
		var got []recutPath
		if k, ok := rp.row[two]; ok {
			got = rp.paths[k]
		}
		if len(got) != len(tc.want) || len(got) == 1 && !samePath(got[0], tc.want[0]) {
			t.Errorf("%d words, %d digits: paths of two spaces %+v, want %+v", tc.words, tc.digits, got, tc.want)
		}
		if k, ok := rp.row[three]; ok && len(rp.paths[k]) > 0 {
			t.Errorf("%d words, %d digits: three spaces: paths %+v, want none", tc.words, tc.digits, rp.paths[k])
		}
	}
}

func samePath(a, b recutPath) bool {
	if a.old != b.old || math.Abs(a.share-b.share) > 1e-12 || len(a.after) != len(b.after) {
		return false
	}
	for prev, v := range b.after {
		if math.Abs(a.after[prev]-v) > 1e-12 {
			return false
		}
	}
	return true
}
