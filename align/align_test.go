package align

import (
	"strings"
	"testing"
)

// tok builds a Token from a spelling in one of the conventions:
// "Ġ"/"▁" for a leading space, "<0xNN>" for a byte, "##" for a
// word-internal WordPiece piece (wordpiece=true), "<...>" special.
func tok(spelling string, wordpiece bool) Token {
	t := Token{Spelling: spelling}
	switch {
	case len(spelling) == 6 && strings.HasPrefix(spelling, "<0x"):
		var b byte
		for _, c := range spelling[3:5] {
			b = b*16 + byte(strings.IndexRune("0123456789ABCDEF", c))
		}
		t.Bytes, t.ByteFallback = []byte{b}, true
	case strings.HasPrefix(spelling, "<") && strings.HasSuffix(spelling, ">") && len(spelling) > 2:
		t.Bytes, t.Special = []byte(spelling), true
	case wordpiece && strings.HasPrefix(spelling, "##"):
		t.Bytes = []byte(spelling[2:])
	case wordpiece:
		t.Bytes, t.WordInitial = []byte(spelling), true
	default:
		s := strings.NewReplacer("Ġ", " ", "▁", " ").Replace(spelling)
		t.Bytes = []byte(s)
	}
	return t
}

func vocab(wordpiece bool, roles map[Role]int, spellings ...string) *Vocab {
	v := &Vocab{Roles: roles}
	for _, s := range spellings {
		if s == "" {
			v.Tokens = append(v.Tokens, Token{Unused: true})
			continue
		}
		v.Tokens = append(v.Tokens, tok(s, wordpiece))
	}
	return v
}

func TestAlignWithItselfIsIdentity(t *testing.T) {
	v := vocab(false, map[Role]int{BOS: 0, EOS: 1}, "<s>", "</s>", "<0x41>", "A", "▁A", "▁hello", "", "<extra>")
	a, err := Align(v, v, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Rows != len(v.Tokens) {
		t.Fatalf("rows %d, want %d", a.Rows, len(v.Tokens))
	}
	for id, k := range a.Kind {
		if v.Tokens[id].Unused {
			if k != Padding {
				t.Errorf("id %d: %v, want padding", id, k)
			}
			continue
		}
		if !k.Copied() || a.Source[id] != id {
			t.Errorf("id %d (%q): %v from %d, want a copy of itself", id, v.Tokens[id].Spelling, k, a.Source[id])
		}
	}
}

func TestAlignAcrossFamilies(t *testing.T) {
	old := vocab(false, map[Role]int{BOS: 1, EOS: 2, UNK: 0},
		"<unk>", "<s>", "</s>", "<0x41>", "<0xE4>", "<0x0A>", "A", "▁hello", "ing", "▁the", "<|im_start|>")
	tests := []struct {
		name     string
		new      *Vocab
		opts     Options
		want     map[string]Kind   // new spelling → kind
		wantFrom map[string]string // new spelling → old spelling
	}{{
		name: "byte-level BPE",
		new: vocab(false, map[Role]int{BOS: 5, EOS: 5},
			"A", "Ġhello", "ing", "\n", "Ġworld", "<|endoftext|>", "<|start_header_id|>"),
		opts: Options{Map: map[string]string{"<|im_start|>": "<|start_header_id|>"}},
		want: map[string]Kind{"A": Exact, "Ġhello": ByBytes, "ing": Exact, "\n": ByBytes,
			"Ġworld": New, "<|endoftext|>": ByRole, "<|start_header_id|>": Mapped},
		wantFrom: map[string]string{"A": "A", "Ġhello": "▁hello", "\n": "<0x0A>",
			"<|endoftext|>": "</s>", "<|start_header_id|>": "<|im_start|>"},
	}, {
		name:     "WordPiece",
		new:      vocab(true, nil, "hello", "##ing", "the", "##A", "[CLS]"),
		want:     map[string]Kind{"hello": ByBytes, "##ing": ByBytes, "the": ByBytes, "##A": ByBytes, "[CLS]": New},
		wantFrom: map[string]string{"hello": "▁hello", "##ing": "ing", "the": "▁the", "##A": "A"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The WordPiece vocabulary marks "[CLS]" as special below.
			for i := range tt.new.Tokens {
				if tt.new.Tokens[i].Spelling == "[CLS]" {
					tt.new.Tokens[i] = Token{Spelling: "[CLS]", Bytes: []byte("[CLS]"), Special: true}
					tt.want["[CLS]"] = NewSpecial
				}
			}
			a, err := Align(old, tt.new, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for id, nt := range tt.new.Tokens {
				if k := a.Kind[id]; k != tt.want[nt.Spelling] {
					t.Errorf("%q: %v, want %v", nt.Spelling, k, tt.want[nt.Spelling])
				}
				if from, ok := tt.wantFrom[nt.Spelling]; ok {
					if src := a.Source[id]; src < 0 || old.Tokens[src].Spelling != from {
						t.Errorf("%q copies old id %d, want %q", nt.Spelling, src, from)
					}
				}
			}
		})
	}
}

func TestAlignPrefersRegularTokensToByteFallback(t *testing.T) {
	old := vocab(false, nil, "<0x41>", "A", "<0xE4>")
	new := vocab(false, nil, "A", "\xe4", "<0x41>")
	a, err := Align(old, new, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []int{1, 2, 0} // "A" from "A"; the lone byte from "<0xE4>"; "<0x41>" from itself
	for id, w := range want {
		if a.Source[id] != w {
			t.Errorf("new %q copies %d, want %d", new.Tokens[id].Spelling, a.Source[id], w)
		}
	}
	if a.Report.NewByteFallback != 1 || a.Report.ByteFallbackMatched != 1 {
		t.Errorf("byte-fallback counts %+v", a.Report)
	}
}

func TestAlignByteFallbackByEmission(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new []string
		kind     []Kind // per new id
		source   []int
	}{{
		name:   "an extension learns \"\\n\"",
		old:    []string{"<0x0A>", "<0x41>", "A"},
		new:    []string{"<0x0A>", "<0x41>", "A", "\n", "\n\n"},
		kind:   []Kind{Unemitted, Exact, Exact, ByBytes, New},
		source: []int{1, 1, 2, 0, -1},
	}, {
		name:   "the new tokenizer still emits the byte",
		old:    []string{"<0x0A>", "<0x41>", "A"},
		new:    []string{"<0x0A>", "<0x41>", "A", "▁the"},
		kind:   []Kind{Exact, Exact, Exact, New},
		source: []int{0, 1, 2, -1},
	}, {
		name:   "the old tokenizer emits every byte",
		old:    []string{"<0x0A>", "<0x41>"},
		new:    []string{"<0x0A>", "<0x41>", "\n"},
		kind:   []Kind{Exact, Exact, ByBytes},
		source: []int{0, 1, 0},
	}, {
		name:   "the old tokenizer wrote the byte as a token, the new one writes it in bytes",
		old:    []string{"<0x0A>", "\n", "<0x41>", "A"},
		new:    []string{"<0x0A>", "<0x41>", "A"},
		kind:   []Kind{ByBytes, Exact, Exact},
		source: []int{1, 2, 3},
	}, {
		name:   "neither emits the byte",
		old:    []string{"<0x0A>", "<0x41>", "A"},
		new:    []string{"<0x41>", "A"},
		kind:   []Kind{Exact, Exact},
		source: []int{1, 2},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Align(vocab(false, nil, tc.old...), vocab(false, nil, tc.new...), Options{})
			if err != nil {
				t.Fatal(err)
			}
			for id := range tc.new {
				if a.Kind[id] != tc.kind[id] || a.Source[id] != tc.source[id] {
					t.Errorf("new %q: %v from %d, want %v from %d", tc.new[id], a.Kind[id], a.Source[id], tc.kind[id], tc.source[id])
				}
			}
			if n := a.Report.Kinds[Unemitted.String()]; n != count(tc.kind, Unemitted) {
				t.Errorf("report: %d unemitted, want %d", n, count(tc.kind, Unemitted))
			}
		})
	}
}

func count(kinds []Kind, k Kind) (n int) {
	for _, x := range kinds {
		if x == k {
			n++
		}
	}
	return n
}

func TestAlignRowsAndPadding(t *testing.T) {
	old := vocab(false, nil, "a", "b", "c", "d", "e", "f", "g", "h", "i", "j") // 10 tokens
	new := vocab(false, nil, "a", "b", "x", "", "y")
	tests := []struct {
		name      string
		opts      Options
		rows      int
		noRow     int
		wantKinds map[string]int
	}{
		{"no padding", Options{}, 5, 0, map[string]int{"exact": 2, "new": 2, "padding": 1}},
		{"padded base", Options{OldRows: 16}, 16, 0, map[string]int{"exact": 2, "new": 2, "padding": 12}},
		{"padded base, multiple of 8", Options{OldRows: 24}, 8, 0, map[string]int{"exact": 2, "new": 2, "padding": 4}},
		{"extra rows, no multiple", Options{OldRows: 12}, 5, 0, map[string]int{"exact": 2, "new": 2, "padding": 1}},
		{"explicit multiple", Options{PadToMultipleOf: 4}, 8, 0, map[string]int{"exact": 2, "new": 2, "padding": 4}},
		{"old ids past the rows", Options{OldRows: 1}, 5, 9, map[string]int{"exact": 1, "new": 3, "padding": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Align(old, new, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if a.Rows != tt.rows || a.Report.OldWithoutRow != tt.noRow {
				t.Errorf("rows %d, old without row %d; want %d, %d", a.Rows, a.Report.OldWithoutRow, tt.rows, tt.noRow)
			}
			for k, n := range tt.wantKinds {
				if a.Report.Kinds[k] != n {
					t.Errorf("kinds %v, want %v", a.Report.Kinds, tt.wantKinds)
					break
				}
			}
		})
	}
}

func TestAlignMapErrors(t *testing.T) {
	old := vocab(false, nil, "<a>", "x")
	new := vocab(false, nil, "<b>", "x")
	for _, m := range []map[string]string{{"<nope>": "<b>"}, {"<a>": "<nope>"}} {
		if _, err := Align(old, new, Options{Map: m}); err == nil || !strings.Contains(err.Error(), "<nope>") {
			t.Errorf("map %v: error %v, want one naming <nope>", m, err)
		}
	}
}

func TestReportCountsSpellingGain(t *testing.T) {
	old := vocab(false, nil, "▁hello", "▁world", "a")
	new := vocab(false, nil, "Ġhello", "Ġworld", "a", "b")
	a, err := Align(old, new, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.Report.Shared != 3 || a.Report.SpellingMatches != 1 || a.Report.OldUnused != 0 {
		t.Errorf("report %+v", a.Report)
	}
}
