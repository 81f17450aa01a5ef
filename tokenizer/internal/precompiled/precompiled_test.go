package precompiled

import (
	"bufio"
	"compress/gzip"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// loadT5 parses the t5-small charsmap fixture.
func loadT5(tb testing.TB) *Normalizer {
	tb.Helper()
	n, err := Parse(t5Charsmap(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// t5Charsmap returns the charsmap in the fixture, the normalizer object of
// t5-small's tokenizer.json as written by scripts/golden/precompiled.
func t5Charsmap(tb testing.TB) []byte {
	tb.Helper()
	var spec struct {
		Type     string `json:"type"`
		Charsmap string `json:"precompiled_charsmap"`
	}
	readGzip(tb, "t5-small.normalizer.json.gz", func(r *bufio.Reader) {
		if err := json.NewDecoder(r).Decode(&spec); err != nil {
			tb.Fatal(err)
		}
	})
	blob, err := base64.StdEncoding.DecodeString(spec.Charsmap)
	if err != nil {
		tb.Fatal(err)
	}
	return blob
}

func readGzip(tb testing.TB, name string, read func(*bufio.Reader)) {
	tb.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	read(bufio.NewReader(z))
}

// goldenCase is one line of testdata/golden.jsonl.gz: what the Hugging Face
// tokenizers Node binding's Precompiled normalizer made of an input.
type goldenCase struct {
	kind, in, out string
}

func loadGolden(tb testing.TB) []goldenCase {
	tb.Helper()
	var cases []goldenCase
	readGzip(tb, "golden.jsonl.gz", func(r *bufio.Reader) {
		dec := json.NewDecoder(r)
		for dec.More() {
			var line [3]string
			if err := dec.Decode(&line); err != nil {
				tb.Fatalf("golden.jsonl.gz: case %d: %v", len(cases)+1, err)
			}
			cases = append(cases, goldenCase{line[0], line[1], line[2]})
		}
	})
	return cases
}

func TestGoldenT5(t *testing.T) {
	n := loadT5(t)
	cases := loadGolden(t)
	if len(cases) < 1000 {
		t.Fatalf("only %d golden cases", len(cases))
	}
	failed := 0
	for i, c := range cases {
		if got := n.Normalize(c.in); got != c.out {
			failed++
			if failed <= 10 {
				t.Errorf("case %d (%s): Normalize(%+q)\n got %+q\nwant %+q", i+1, c.kind, c.in, got, c.out)
			}
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d golden cases differ", failed, len(cases))
	}
}

type normalizeCase struct {
	name, in, want string
}

func checkNormalize(t *testing.T, n *Normalizer, tests []normalizeCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := n.Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%+q) = %+q, want %+q", tt.in, got, tt.want)
			}
		})
	}
}

// TestNormalizeT5 pins the Hugging Face behaviours worth naming, each
// checked against the reference when the goldens were made.
func TestNormalizeT5(t *testing.T) {
	n := loadT5(t)
	tests := []normalizeCase{
		{"empty", "", ""},
		{"ascii unchanged", "Hello, World!", "Hello, World!"},
		{"full width", "ＡＢＣ", "ABC"},
		{"ligature", "ﬁ", "fi"},
		{"expansion then removal", "™\x1eg", "TMg"},
		{"tab to space", "x\tb", "x b"},
		{"composition", "a\u0301", "\u00e1"},
		{"short cluster replaced whole", "Ａ\u0301x", "Ax"},
		{"crlf is one cluster", "\r\n", " "},
		{"long cluster goes by character", "e\u0301\u0301\u0301", "e\u0301\u0301\u0301"},
		{"nul ends trie keys", "\x00a", "\x00a"},
		{"zwj inside emoji", "👨\u200d👩", "👨 👩"},
		{"invalid byte kept", "a\xffb", "a\xffb"},
		{"invalid byte splits clusters", "Ａ\xff\u0301", "A\xff\u0301"},
		{"truncated sequence kept", "ＡＢ\xef\xbc", "AB\xef\xbc"},
	}
	checkNormalize(t, n, tests)
}

// handTrie builds a charsmap by hand, so that the lookup rules can be
// checked without the T5 data: units maps positions to darts-clone units.
func handTrie(units map[int]uint32, pool string) []byte {
	size := 0
	for pos := range units {
		size = max(size, pos+1)
	}
	blob := binary.LittleEndian.AppendUint32(nil, uint32(4*size))
	for pos := range size {
		blob = binary.LittleEndian.AppendUint32(blob, units[pos])
	}
	return append(blob, pool...)
}

// node is a darts-clone unit with a label, an offset to its children and,
// when leaf, a value child.
func node(label byte, offset uint32, leaf bool) uint32 {
	u := offset<<10 | uint32(label)
	if leaf {
		u |= hasLeafBit
	}
	return u
}

func valueUnit(v uint32) uint32 { return 1<<31 | v }

// handBuilt returns a charsmap with keys "a", "ab", "c", "d", "e" and "f"
// under a root whose children sit at 256^label; each key's value unit is
// where its node's offset sends it.
func handBuilt() []byte {
	return handTrie(map[int]uint32{
		0:                  256 << 10,                      // root
		256 ^ 'a':          node('a', (256^'a')^512, true), // "a" -> pool[0] "X"
		512:                valueUnit(0),
		512 ^ 'b':          node('b', (512^'b')^700, true), // "ab" -> pool[2] "é"
		700:                valueUnit(2),
		256 ^ 'c':          node('c', (256^'c')^800, true), // "c" -> past the pool
		800:                valueUnit(1 << 20),
		256 ^ 'd':          node('d', (256^'d')^900, true), // "d" -> inside "é"
		900:                valueUnit(3),
		256 ^ 'e':          node('e', (256^'e')^950, true), // "e" -> end of pool: ""
		950:                valueUnit(5),
		256 ^ 'f':          node('f', 4, true) | 1<<9, // "f" -> offset 4<<8
		(256 ^ 'f') ^ 1024: valueUnit(0),
	}, "X\x00é\x00")
}

func TestHandBuiltTrie(t *testing.T) {
	n, err := Parse(handBuilt())
	if err != nil {
		t.Fatal(err)
	}
	tests := []normalizeCase{
		{"key", "a", "X"},
		{"clusters are looked up apart", "ab", "Xb"},
		{"short cluster takes shortest prefix", "a\u0301", "X"},
		{"long cluster by character", "a\u0301\u0301\u0301", "X\u0301\u0301\u0301"},
		{"value past pool finds nothing", "c", "c"},
		{"value inside a character finds nothing", "d", "d"},
		{"value at pool end deletes", "xex", "xx"},
		{"scaled offset", "f", "X"},
		{"no key", "zz", "zz"},
		{"nul stops lookup", "\x00a", "\x00X"},
	}
	checkNormalize(t, n, tests)
}

func TestShortestPrefix(t *testing.T) {
	n, err := Parse(handBuilt())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		key   string
		value uint32
		ok    bool
	}{
		{"a", 0, true},
		{"ab", 0, true}, // "ab" is a key too, but Hugging Face takes the first match
		{"abc", 0, true},
		{"b", 0, false},
		{"f", 0, true},
		{"e", 5, true},
		{"", 0, false},
		{"\x00a", 0, false},
	}
	for _, tt := range tests {
		v, ok := n.trie.shortestPrefix(tt.key)
		if v != tt.value || ok != tt.ok {
			t.Errorf("shortestPrefix(%q) = %d, %v; want %d, %v", tt.key, v, ok, tt.value, tt.ok)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		blob []byte
	}{
		{"nil", nil},
		{"short header", []byte{1, 0}},
		{"empty trie", []byte{0, 0, 0, 0}},
		{"trie size not units", []byte{5, 0, 0, 0, 1, 2, 3, 4, 5}},
		{"trie past end", []byte{8, 0, 0, 0, 1, 2, 3, 4}},
		{"huge trie size", []byte{0xfc, 0xff, 0xff, 0xff, 1, 2, 3, 4}},
		{"pool not utf-8", []byte{4, 0, 0, 0, 0, 0, 0, 0, 'a', 0xff, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Parse(tt.blob)
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("Parse = %v, %v; want an error wrapping ErrFormat", n, err)
			}
		})
	}
}

func TestParseCopies(t *testing.T) {
	blob := handBuilt()
	n, err := Parse(blob)
	if err != nil {
		t.Fatal(err)
	}
	for i := range blob {
		blob[i] = 0xff
	}
	if got := n.Normalize("ab"); got != "Xb" {
		t.Errorf("after overwriting the input, Normalize(%q) = %q, want %q", "ab", got, "Xb")
	}
}
