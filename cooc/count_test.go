package cooc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/transplant-dev/transplant/tokenizer"
)

// toy is a WordLevel tokenizer splitting on whitespace, with ids
// [UNK]=0 (special), a=1, b=2, c=3, d=4, e=5, f=6.
func toy(t testing.TB) *tokenizer.Tokenizer {
	t.Helper()
	tok, err := tokenizer.Load("testdata/toy/tokenizer.json")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

const (
	unk = iota
	a
	b
	c
	d
	e
	f
)

// toyText, with Window 2, has by hand (a context at distance 1 weighs
// (2+1−1)/2 = 1, at distance 2 weighs 1/2):
//
//	chunk "a b a c\n\n" → a b a c
//	  a·b (d=1) 1, a·a (d=2) ½, b·a (d=1) 1, b·c (d=2) ½, a·c (d=1) 1
//	chunk "c x a [UNK]\n\n" → c [UNK] a [UNK]: x is unknown; both unknowns
//	  keep their place but count nothing
//	  c·a (d=2) ½
//	chunk "d e\n" → d e
//	  d·e (d=1) 1
//
// The symmetric matrix #(w,c) (a pair counts both ways; a·a adds ½ twice
// to its diagonal entry):
//
//	#(a,b) = 1+1 = 2   #(a,a) = 2·½ = 1   #(b,c) = ½
//	#(a,c) = 1+½ = 3/2 #(d,e) = 1
//
// Row sums #(w): a 2+1+3/2 = 9/2, b 2+½ = 5/2, c ½+3/2 = 2, d 1, e 1;
// total 11. Occurrences: a 3, b 1, c 2, d 1, e 1, f 0, [UNK] 2 (of 10
// tokens).
const toyText = "a b a c\n\nc x a [UNK]\n\nd e\n"

func countToy(t *testing.T) *Counts {
	t.Helper()
	counts, err := Count(context.Background(), toy(t), strings.NewReader(toyText), CountOptions{Window: 2})
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

func TestCountToy(t *testing.T) {
	counts := countToy(t)
	pairs := []struct {
		w, c int
		want float64
	}{
		{a, b, 2}, {b, a, 2}, {a, a, 1}, {b, c, 0.5}, {c, b, 0.5},
		{a, c, 1.5}, {c, a, 1.5}, {d, e, 1}, {e, d, 1},
		{b, b, 0}, {a, d, 0}, {a, f, 0}, {unk, a, 0}, {a, unk, 0},
	}
	for _, p := range pairs {
		if got := counts.Cooccurrence(p.w, p.c); got != p.want {
			t.Errorf("#(%d,%d) = %v, want %v", p.w, p.c, got, p.want)
		}
	}
	mass := map[int]float64{a: 4.5, b: 2.5, c: 2, d: 1, e: 1, f: 0, unk: 0}
	for id, want := range mass {
		if got := counts.Mass(id); got != want {
			t.Errorf("#(%d) = %v, want %v", id, got, want)
		}
	}
	occ := []int64{unk: 2, a: 3, b: 1, c: 2, d: 1, e: 1, f: 0}
	for id, want := range occ {
		if counts.Occurrences[id] != want {
			t.Errorf("occurrences of %d = %d, want %d", id, counts.Occurrences[id], want)
		}
	}
	if counts.Tokens != 10 || counts.Bytes != int64(len(toyText)) {
		t.Errorf("%d tokens in %d bytes, want 10 in %d", counts.Tokens, counts.Bytes, len(toyText))
	}
	if counts.Occurring() != 5 || counts.Pairs() != 5 {
		t.Errorf("%d tokens occur, %d pairs; want 5 and 5", counts.Occurring(), counts.Pairs())
	}
}

// TestPPMIToy checks PPMI against the hand counts of toyText:
// PMI(w,c) = log(#(w,c)·Z / (#(w)·#(c)^α)) − log Shift, Z = Σ #(c′)^α
// over all five counted tokens, clipped at zero.
func TestPPMIToy(t *testing.T) {
	counts := countToy(t)
	z1 := 4.5 + 2.5 + 2 + 1 + 1 // α = 1: the total, 11
	z75 := math.Pow(4.5, 0.75) + math.Pow(2.5, 0.75) + math.Pow(2, 0.75) + 1 + 1
	type entry struct {
		w, c int
		want float64
	}
	tests := []struct {
		name string
		opts VectorOptions
		ids  []int
		want []entry
	}{
		{
			name: "plain PMI",
			opts: VectorOptions{MinCount: 1, Alpha: 1},
			ids:  []int{a, b, c, d, e},
			want: []entry{
				{a, b, math.Log(2 * z1 / (4.5 * 2.5))}, // 0.671
				{b, a, math.Log(2 * z1 / (2.5 * 4.5))}, // symmetric without smoothing
				{a, a, 0},                              // log(1·11/4.5²) = −0.61
				{b, c, math.Log(0.5 * z1 / (2.5 * 2))}, // log 1.1 = 0.095
				{a, c, math.Log(1.5 * z1 / (4.5 * 2))}, // 0.606
				{d, e, math.Log(1 * z1 / (1 * 1))},     // log 11 = 2.398
				{b, d, 0}, {f, a, 0}, {unk, a, 0},
			},
		},
		{
			name: "context smoothing",
			opts: VectorOptions{MinCount: 1}, // α = 0.75
			ids:  []int{a, b, c, d, e},
			want: []entry{
				{a, b, math.Log(2 * z75 / (4.5 * math.Pow(2.5, 0.75)))}, // 0.672
				{b, a, math.Log(2 * z75 / (2.5 * math.Pow(4.5, 0.75)))}, // 0.819: no longer symmetric
				{b, c, math.Log(0.5 * z75 / (2.5 * math.Pow(2, 0.75)))}, // 0.041
				{c, b, math.Log(0.5 * z75 / (2 * math.Pow(2.5, 0.75)))}, // 0.097
				{c, a, math.Log(1.5 * z75 / (2 * math.Pow(4.5, 0.75)))}, // 0.754
				{d, e, math.Log(1 * z75 / 1)},                           // 2.170
				{a, a, 0},
			},
		},
		{
			name: "shift",
			opts: VectorOptions{MinCount: 1, Alpha: 1, Shift: 2},
			ids:  []int{a, b, c, d, e},
			want: []entry{
				{a, b, 0}, // 0.671 − log 2 < 0
				{b, c, 0},
				{d, e, math.Log(11) - math.Log(2)},
			},
		},
		{
			name: "min count",
			opts: VectorOptions{MinCount: 2, Alpha: 1}, // only a (3) and c (2)
			ids:  []int{a, c},
			want: []entry{
				{a, c, math.Log(1.5 * z1 / (4.5 * 2))}, // Z still over every token
				{c, a, math.Log(1.5 * z1 / (2 * 4.5))},
				{a, b, 0}, {d, e, 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := counts.PPMI(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(m.IDs) != fmt.Sprint(tt.ids) {
				t.Errorf("rows %v, want %v", m.IDs, tt.ids)
			}
			for _, en := range tt.want {
				if got := m.At(en.w, en.c); math.Abs(got-en.want) > 1e-6 {
					t.Errorf("PPMI(%d,%d) = %.7f, want %.7f", en.w, en.c, got, en.want)
				}
			}
			if tt.name == "plain PMI" && m.NonZero() != 8 { // a·b, b·c, a·c, d·e both ways
				t.Errorf("%d positive entries, want 8", m.NonZero())
			}
		})
	}
}

func TestCountRejects(t *testing.T) {
	tests := []struct {
		name string
		text string
		want error
	}{
		{"empty text", "", ErrNoCooccurrence},
		{"no token of the tokenizer", "x y z\n\nw v\n", ErrNoCooccurrence},
		{"single tokens", "a\n\nb\n\nc", ErrNoCooccurrence},
		{"special tokens only", "[UNK] [UNK]", ErrNoCooccurrence},
		{"not UTF-8", "a b \xff c", ErrNotUTF8},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Count(context.Background(), toy(t), strings.NewReader(tt.text), CountOptions{})
			if !errors.Is(err, tt.want) {
				t.Errorf("error %v, want %v", err, tt.want)
			}
		})
	}
	var e *EncodingError
	_, err := Count(context.Background(), toy(t), strings.NewReader("a b \xff c"), CountOptions{})
	if !errors.As(err, &e) || e.Offset != 4 {
		t.Errorf("error %v, want an EncodingError at offset 4", err)
	}
}

func TestCountOptions(t *testing.T) {
	for _, opts := range []CountOptions{{Window: -1}, {MaxPairs: -5}} {
		_, err := Count(context.Background(), toy(t), strings.NewReader(toyText), opts)
		if !errors.Is(err, ErrOptions) {
			t.Errorf("%+v: error %v, want ErrOptions", opts, err)
		}
	}
}

func TestCountCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Count(ctx, toy(t), strings.NewReader(toyText), CountOptions{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}

// TestCountPrunes counts a text in batches of one chunk with room for few
// pairs: the pair in every chunk keeps its exact count, others lose what
// they had when dropped, masses lose nothing, and at most MaxPairs pairs
// are held at the end.
func TestCountPrunes(t *testing.T) {
	var text strings.Builder
	rare := []string{"c d", "d e", "e f", "c e", "d f", "c f"}
	for i := range 60 {
		fmt.Fprintf(&text, "a b %s\n\n", rare[i%len(rare)])
	}
	run := func(maxPairs int) *Counts {
		counts, err := count(context.Background(), toy(t), strings.NewReader(text.String()), CountOptions{Window: 1, MaxPairs: maxPairs}, 1)
		if err != nil {
			t.Fatal(err)
		}
		return counts
	}
	const maxPairs = 8
	exact, pruned := run(1000), run(maxPairs)
	if exact.Prunings != 0 || pruned.Prunings == 0 || pruned.PruneFloor == 0 {
		t.Fatalf("prunings %d and %d (floor %v), want none and some", exact.Prunings, pruned.Prunings, pruned.PruneFloor)
	}
	if pruned.Pairs() > maxPairs {
		t.Errorf("%d pairs held, bound %d", pruned.Pairs(), maxPairs)
	}
	lost := false
	for x := a; x <= f; x++ {
		for y := x; y <= f; y++ {
			p, e := pruned.Cooccurrence(x, y), exact.Cooccurrence(x, y)
			if p > e {
				t.Errorf("#(%d,%d) = %v pruned, %v exact", x, y, p, e)
			}
			lost = lost || p < e
		}
		if pruned.Mass(x) != exact.Mass(x) {
			t.Errorf("#(%d) = %v pruned, %v exact", x, pruned.Mass(x), exact.Mass(x))
		}
	}
	if !lost {
		t.Error("pruning lost no count")
	}
	if got := pruned.Cooccurrence(a, b); got != 60 {
		t.Errorf("#(a,b) = %v, want 60", got)
	}
}

func TestPairTable(t *testing.T) {
	var tb pairTable
	want := map[uint32]uint32{}
	for i := range uint32(1000) {
		k := (i * 7919) % 613
		w := i%5 + 1
		if tb.add(k, w) != (want[k] == 0) {
			t.Fatalf("add(%d): new = %v", k, want[k] == 0)
		}
		want[k] += w
	}
	if tb.n != len(want) {
		t.Fatalf("%d pairs, want %d", tb.n, len(want))
	}
	for k, w := range want {
		if got := tb.get(k); got != w {
			t.Errorf("count of %d = %d, want %d", k, got, w)
		}
	}
	if got := tb.get(5000); got != 0 {
		t.Errorf("count of an absent partner = %d", got)
	}
	floor := uint32(10)
	kept := 0
	for _, w := range want {
		if w >= floor {
			kept++
		}
	}
	if dropped := tb.prune(floor); dropped != len(want)-kept || tb.n != kept {
		t.Errorf("prune dropped %d, kept %d; want %d, %d", dropped, tb.n, len(want)-kept, kept)
	}
	for k, w := range want {
		if got, exp := tb.get(k), w*uint32(btoi(w >= floor)); got != exp {
			t.Errorf("after pruning, count of %d = %d, want %d", k, got, exp)
		}
	}
	tb.add(1, math.MaxUint32-1)
	tb.add(1, 5)
	if got := tb.get(1); got != math.MaxUint32 {
		t.Errorf("count saturates at %d, want %d", got, uint32(math.MaxUint32))
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestPPMIMatchesCounts recomputes every entry of the PPMI matrix of a
// synthetic text from the public counts (Cooccurrence, whose diagonal the
// toy test checks by hand, and Mass), so that PPMI cannot treat the
// diagonal or rare contexts differently from what Counts reports.
func TestPPMIMatchesCounts(t *testing.T) {
	tok, text := synthetic(t, 300, 2000)
	counts, err := Count(context.Background(), tok, strings.NewReader(text), CountOptions{Window: 3})
	if err != nil {
		t.Fatal(err)
	}
	opts := VectorOptions{MinCount: 10, Alpha: 0.6, Shift: 1.5}
	m, err := counts.PPMI(opts)
	if err != nil {
		t.Fatal(err)
	}
	z := 0.0
	for id := range tok.VocabSize() {
		z += math.Pow(counts.Mass(id), opts.Alpha)
	}
	kept := map[int]bool{}
	for id := range tok.VocabSize() {
		if counts.Occurrences[id] >= int64(opts.MinCount) && counts.Mass(id) > 0 {
			kept[id] = true
		}
	}
	if len(kept) != m.Len() || len(kept) < 50 {
		t.Fatalf("%d rows, want %d (and at least 50)", m.Len(), len(kept))
	}
	positive, diagonal := 0, 0
	for w := range tok.VocabSize() {
		for c := range tok.VocabSize() {
			want := 0.0
			if n := counts.Cooccurrence(w, c); kept[w] && kept[c] && n > 0 {
				want = max(0, math.Log(n*z/(counts.Mass(w)*math.Pow(counts.Mass(c), opts.Alpha)))-math.Log(opts.Shift))
			}
			got := m.At(w, c)
			if math.Abs(got-want) > 1e-6*max(1, want) {
				t.Fatalf("PPMI(%d,%d) = %v, want %v", w, c, got, want)
			}
			if want > 0 {
				positive++
				if w == c {
					diagonal++
				}
			}
		}
	}
	if positive != m.NonZero() || diagonal == 0 {
		t.Errorf("%d positive entries (%d diagonal), matrix holds %d", positive, diagonal, m.NonZero())
	}
}
