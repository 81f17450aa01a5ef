package precompiled

import (
	"strings"
	"testing"
)

// benchText returns the corpora the benchmarks normalize. The same rules
// are in scripts/golden/precompiled/bench.js, which times the reference on
// them for a side-by-side comparison.
func benchText(tb testing.TB) map[string]string {
	var random []string
	for _, c := range loadGolden(tb) {
		if c.kind == "random" {
			random = append(random, c.in)
		}
	}
	const english = "The quick brown fox jumps over the lazy dog, then rests for a while. "
	return map[string]string{
		"ascii":  strings.Repeat(english, 1000),
		"cjk":    strings.Repeat("日本語のテキストと中文字符，한국어 문장。", 1000),
		"random": strings.Join(random, " "),
	}
}

func BenchmarkNormalize(b *testing.B) {
	n := loadT5(b)
	texts := benchText(b)
	for _, name := range []string{"ascii", "cjk", "random"} {
		s := texts[name]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(s)))
			b.ReportAllocs()
			for b.Loop() {
				n.Normalize(s)
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	blob := t5Charsmap(b)
	b.SetBytes(int64(len(blob)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(blob); err != nil {
			b.Fatal(err)
		}
	}
}
