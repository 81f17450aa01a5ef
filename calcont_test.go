package transplant

import (
	"context"
	"maps"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/mat"
)

// The families of the example base (Mistral's vocabulary) on GPT-2's
// tokenizer: words Mistral's has whole that GPT-2's begins with a
// shared token, checked against the reference library's cut of them.
func TestContinuationFamilies(t *testing.T) {
	s, err := Open(context.Background(), Inputs{Base: "testdata/example/base", Tokenizer: tokenizerDir("gpt2")})
	if err != nil {
		t.Fatal(err)
	}
	f := s.continuationFamiliesOf()
	if f == nil {
		t.Fatal("no families")
	}
	next := map[[2]string]bool{} // (prefix, old token) → next piece seen as expected
	for k, p := range f.prefixes {
		if got, want := s.oldTok.Surface(f.old[k]).Bytes, s.newTok.Surface(p).Bytes; string(got) != string(want) {
			t.Errorf("prefix %q: the base's token %q", want, got)
		}
		for _, m := range f.members[k] {
			key := [2]string{string(s.newTok.Surface(p).Bytes), string(s.oldTok.Surface(m.old).Bytes)}
			next[key] = string(s.newTok.Surface(m.next).Bytes) != ""
			switch key {
			case [2]string{" Array", " ArrayList"}:
				next[key] = string(s.newTok.Surface(m.next).Bytes) == "List"
			case [2]string{" IO", " IOException"}:
				next[key] = string(s.newTok.Surface(m.next).Bytes) == "Exception"
			case [2]string{" class", " className"}:
				next[key] = string(s.newTok.Surface(m.next).Bytes) == "Name"
			}
		}
	}
	for _, key := range [][2]string{{" Array", " ArrayList"}, {" IO", " IOException"}, {" class", " className"}} {
		if !next[key] {
			t.Errorf("%q not in %q's family with the piece GPT-2's tokenizer cuts next", key[1], key[0])
		}
	}
	for key := range next {
		if key[1] == " December" || key[1] == " Dec" { // one token in GPT-2's vocabulary
			t.Errorf("%q is in %q's family, but GPT-2's tokenizer has it whole", key[1], key[0])
		}
	}
}

// solveContinuations against the normal equations solved directly.
func TestSolveContinuations(t *testing.T) {
	const width = 5
	states := [][]float32{{1, 0, 0.5, 0, 0}, {0, 1, 0, 0.2, 0}, {0.3, 0.1, 1, 0, 0.4}, {0, 0, 0.1, 1, 0}, {0.2, 0, 0, 0, 1}, {1, 1, 0, 0, 0}, {0, 0.5, 0.5, 0.5, 0}}
	means := [][]float64{{1, 2, 0, -1, 0.5}, {0, 1, 1, 0, -2}, {3, 0, 0, 1, 1}}
	reads := []int{4, 10, 7}
	samples := map[int][]contSample{7: {{k: 0, d: 2}, {k: 2, d: 0.5}}, 9: {{k: 1, d: 3}}}
	got, err := solveContinuations(context.Background(), samples, means, reads, states, width)
	if err != nil {
		t.Fatal(err)
	}
	// C and λ as the doc comment says.
	c := mat.NewDense(width, width, nil)
	for _, s := range states {
		for a := range width {
			for b := range width {
				c.Set(a, b, c.At(a, b)+float64(s[a])*float64(s[b])/float64(len(states)))
			}
		}
	}
	lambda := continuationRidge * mat.Trace(c) / width
	for q, ss := range samples {
		var a mat.Dense
		a.Scale(0, c)
		rhs := mat.NewVecDense(width, nil)
		var n float64
		for _, sm := range ss {
			n += float64(reads[sm.k])
			sp := mat.NewVecDense(width, means[sm.k])
			var outer mat.Dense
			outer.Outer(float64(reads[sm.k]), sp, sp)
			a.Add(&a, &outer)
			rhs.AddScaledVec(rhs, float64(reads[sm.k])*sm.d, sp)
		}
		var stay mat.Dense
		stay.Scale(continuationStay*n, c)
		a.Add(&a, &stay)
		for i := range width {
			a.Set(i, i, a.At(i, i)+n*lambda)
		}
		var want mat.VecDense
		if err := want.SolveVec(&a, rhs); err != nil {
			t.Fatal(err)
		}
		for i := range width {
			if math.Abs(float64(got[q][i])-want.AtVec(i)) > 1e-5*(1+math.Abs(want.AtVec(i))) {
				t.Errorf("piece %d: Δ = %v, want %v", q, got[q], want.RawVector().Data)
				break
			}
		}
	}
}

// samples against the log-odds worked out by hand: prefix p (old id 0)
// begins old tokens 1 and 2, both cut p then piece 5, old token 3, cut p
// then piece 6, and old token 4, cut p then piece 7; with s̄ = (1, 0) the
// base's logits there are the rows' first entries.
func TestContinuationSamples(t *testing.T) {
	f := &continuationFamilies{prefixes: []int{8}, old: []int{0}, members: [][]famMember{{{old: 1, next: 5}, {old: 2, next: 5}, {old: 3, next: 6}, {old: 4, next: 7}}}}
	base := blas32.General{Rows: 5, Cols: 2, Stride: 2, Data: []float32{
		2, 9, // p alone: log m = 2
		1, 0, // log m = 1
		0, 0, // log m = 0
		-5, 0, // log m = −5: odds e^−7
		9, 0, // log m = 9: odds e^7, capped
	}}
	head := blas32.General{Rows: 9, Cols: 2, Stride: 2, Data: make([]float32, 18)}
	head.Data[2*5], head.Data[2*6] = 0.5, 30 // at s_p = (1, 0): z_5 = 0.5, z_6 = 30, the rest 0
	got, err := f.samples(context.Background(), [][]float64{{1, 0}}, head, base, []float64{1, 0})
	if err != nil {
		t.Fatal(err)
	}
	lse := math.Log(7 + math.Exp(0.5) + math.Exp(30))
	for q, want := range map[int]float64{
		5: lse + math.Log(math.E+1) - 2 - 0.5, // log(m_1 + m_2) − log m_p − z_5
		7: lse + maxContinuationOdds,
	} {
		if len(got[q]) != 1 || got[q][0].k != 0 || math.Abs(got[q][0].d-want) > 1e-4 {
			t.Errorf("piece %d: %+v, want a rise of %.5f after prefix 0", q, got[q], want)
		}
	}
	if len(got[6]) != 0 { // lse − 7 − 30 < 0: it already scores more than its share
		t.Errorf("piece 6: %+v, want none", got[6])
	}
}

// keepMostRead keeps the pieces whose prefixes were read most, the lower
// id first among equals.
func TestKeepMostRead(t *testing.T) {
	reads := []int{5, 1, 3}
	samples := map[int][]contSample{
		10: {{k: 1}},                         // 1 read
		11: {{k: 0}, {k: 1}},                 // 6
		12: {{k: 2}},                         // 3
		13: {{k: 1}, {k: 2}},                 // 4
		14: {{k: 1}, {k: 1}, {k: 1}, {k: 1}}, // 4
	}
	keepMostRead(samples, reads, 3)
	if got := slices.Sorted(maps.Keys(samples)); !slices.Equal(got, []int{11, 13, 14}) {
		t.Errorf("kept %v, want [11 13 14]", got)
	}
	keepMostRead(samples, reads, 5)
	if len(samples) != 3 {
		t.Errorf("kept %d pieces of 3 under a bound of 5", len(samples))
	}
}
