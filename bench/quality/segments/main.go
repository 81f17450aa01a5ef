// Command segments says where a transplant pays more bits than its base on
// a text, by how the two tokenizers cut it. Both models score the text
// (eval.ScoreDirTargets); the text is then cut wherever both tokenizers
// end a token, and each stretch between two such cuts is one segment,
// which both models spell completely. A segment's excess is the
// transplant's bits on its targets minus the base's on its own, so the
// excesses add up to the difference of the two scores. Segments are of
// five kinds:
//
//   - new: holding a token the base's vocabulary lacks;
//   - same: one shared token where the base has that token too;
//   - same after new: the same, read right after a new token;
//   - recut: shared tokens only, but cut otherwise than the base cuts them
//     (GPT-2's lone spaces of an indentation, where Mistral's tokenizer has
//     one token for the run; Falcon's lone space before punctuation);
//   - same after recut: a "same" segment right after a recut one.
//
// It then lists the recut segments, and the recut segments followed by a
// "same" one, that cost the most. With -mass it runs both models again
// to say how much of the "same" segments' excess is probability the
// transplant gives tokens the base lacks (new tokens): their excess once
// each model's probabilities are renormalized over the tokens both
// vocabularies spell, and the mean probability each gives the tokens the
// other lacks there.
//
//	go run ./bench/quality/segments [-top N] [-mass] BASE-DIR MODEL-DIR TEXT
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/tokenizer"
)

// The kinds of segment, in the order the table prints them.
const (
	kindNew = iota
	kindSame
	kindSameAfterNew
	kindRecut
	kindSameAfterRecut
	kinds
)

var kindNames = [kinds]string{"new", "same", "same after new", "recut", "same after recut"}

// A segment is a stretch of the text both tokenizers cut at its ends.
type segment struct {
	tokens     []string // the transplant's tokens, quoted
	hasNew     bool
	baseTokens int
	bits, base float64 // the transplant's and the base's bits on it
	// With -mass: the same renormalized over the tokens both vocabularies
	// spell, and the probability given the others, summed over targets.
	renorm, baseRenorm float64
	lost, baseLost     float64
}

// same says whether the segment is one shared token, as the base cuts it.
func (s *segment) same() bool { return !s.hasNew && len(s.tokens) == 1 && s.baseTokens == 1 }

func main() {
	top := flag.Int("top", 15, "segments to list")
	mass := flag.Bool("mass", false, "split the same segments' excess by the probability new tokens take")
	flag.Parse()
	if flag.NArg() != 3 {
		log.Fatal("usage: segments [-top N] [-mass] BASE-DIR MODEL-DIR TEXT")
	}
	baseDir, modelDir, textPath := flag.Arg(0), flag.Arg(1), flag.Arg(2)
	text, err := os.ReadFile(textPath)
	if err != nil {
		log.Fatal(err)
	}
	segs, err := segmentsOf(context.Background(), baseDir, modelDir, text, *mass)
	if err != nil {
		log.Fatal(err)
	}
	report(segs, *top, *mass)
}

// segmentsOf scores text with both models and cuts it into segments.
func segmentsOf(ctx context.Context, baseDir, modelDir string, text []byte, mass bool) ([]segment, error) {
	baseTok, err := tokenizer.Load(baseDir)
	if err != nil {
		return nil, err
	}
	tok, err := tokenizer.Load(modelDir)
	if err != nil {
		return nil, err
	}
	splitter, err := eval.NewSplitter(baseTok, tok)
	if err != nil {
		return nil, err
	}
	_, base, err := eval.ScoreDirTargets(ctx, baseDir, text, eval.Options{}, eval.SplitOptions{})
	if err != nil {
		return nil, err
	}
	_, model, err := eval.ScoreDirTargets(ctx, modelDir, text, eval.Options{}, eval.SplitOptions{})
	if err != nil {
		return nil, err
	}
	if base.Ends == nil || model.Ends == nil {
		return nil, fmt.Errorf("a tokenizer does not spell %d bytes of text as they are", len(text))
	}
	baseMass, modelMass := make([]float64, len(base.IDs)), make([]float64, len(model.IDs))
	if mass {
		baseShared, modelShared := sharedIDs(baseTok, tok, splitter)
		if baseMass, err = sharedMass(baseDir, base, baseShared); err != nil {
			return nil, err
		}
		if modelMass, err = sharedMass(modelDir, model, modelShared); err != nil {
			return nil, err
		}
	}
	var segs []segment
	cur := segment{}
	j := 0
	for i, end := range model.Ends {
		if end < 0 {
			continue
		}
		s, _ := tok.TokenString(model.IDs[i])
		cur.tokens = append(cur.tokens, fmt.Sprintf("%q", s))
		cur.hasNew = cur.hasNew || splitter.IsNew(model.IDs[i])
		cur.bits += bits(model, i)
		cur.renorm += bits(model, i) + modelMass[i]/math.Ln2
		cur.lost += -math.Expm1(modelMass[i])
		for ; j < len(base.Ends) && base.Ends[j] <= end; j++ {
			if base.Ends[j] >= 0 {
				cur.baseTokens++
				cur.base += bits(base, j)
				cur.baseRenorm += bits(base, j) + baseMass[j]/math.Ln2
				cur.baseLost += -math.Expm1(baseMass[j])
			}
		}
		if j > 0 && base.Ends[j-1] == end {
			segs = append(segs, cur)
			cur = segment{}
		}
	}
	return segs, nil
}

// bits is what target i of t cost, 0 when it was not scored.
func bits(t eval.Targets, i int) float64 {
	if !t.Scored[i] {
		return 0
	}
	return t.NLL[i] / math.Ln2
}

// kindOf is the kind of segment k, given the one before it.
func kindOf(segs []segment, k int) int {
	s := &segs[k]
	switch {
	case s.hasNew:
		return kindNew
	case !s.same():
		return kindRecut
	case k > 0 && segs[k-1].hasNew:
		return kindSameAfterNew
	case k > 0 && !segs[k-1].same():
		return kindSameAfterRecut
	}
	return kindSame
}

// A tally sums segments that share a key.
type tally struct {
	key        string
	n          int
	bits, base float64
}

func (t *tally) add(s *segment) { t.n++; t.bits += s.bits; t.base += s.base }

func (t *tally) excess() float64 { return t.bits - t.base }

func report(segs []segment, top int, mass bool) {
	var byKind [kinds]tally
	recut, afterRecut := map[string]*tally{}, map[string]*tally{}
	var bits, base float64
	for k := range segs {
		s := &segs[k]
		bits, base = bits+s.bits, base+s.base
		kind := kindOf(segs, k)
		byKind[kind].add(s)
		switch kind {
		case kindRecut:
			tallyOf(recut, strings.Join(s.tokens, " ")).add(s)
		case kindSameAfterRecut:
			tallyOf(afterRecut, strings.Join(segs[k-1].tokens, " ")+" → "+s.tokens[0]).add(s)
		}
	}
	fmt.Printf("transplant %.0f bits, base %.0f bits: %.0f more (ratio %.4f)\n\n", bits, base, bits-base, bits/base)
	fmt.Println("| segments | count | transplant bits | base bits | more | per segment |")
	fmt.Println("|---|---|---|---|---|---|")
	for kind := range byKind {
		t := &byKind[kind]
		fmt.Printf("| %s | %d | %.0f | %.0f | %.0f | %.2f |\n", kindNames[kind], t.n, t.bits, t.base, t.excess(), t.excess()/float64(max(t.n, 1)))
	}
	if mass {
		reportMass(segs)
	}
	list("recut segments that cost the most more than the base", recut, top)
	list("segments right after a recut one that cost the most more (recut → next token)", afterRecut, top)
}

func tallyOf(m map[string]*tally, key string) *tally {
	t := m[key]
	if t == nil {
		t = &tally{key: key}
		m[key] = t
	}
	return t
}

func list(title string, m map[string]*tally, top int) {
	ts := make([]*tally, 0, len(m))
	for _, t := range m {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *tally) int {
		if c := cmp.Compare(b.excess(), a.excess()); c != 0 {
			return c
		}
		return strings.Compare(a.key, b.key)
	})
	fmt.Printf("\n%s:\n\n| tokens | count | more bits | transplant / base bits each |\n|---|---|---|---|\n", title)
	for _, t := range ts[:min(top, len(ts))] {
		fmt.Printf("| `%s` | %d | %.0f | %.2f / %.2f |\n", t.key, t.n, t.excess(), t.bits/float64(t.n), t.base/float64(t.n))
	}
}

// reportMass says how much of the same segments' excess the probability
// of tokens the other vocabulary lacks explains.
func reportMass(segs []segment) {
	var n int
	var more, renorm, lost, baseLost float64
	for k := range segs {
		if kindOf(segs, k) != kindSame {
			continue
		}
		s := &segs[k]
		n++
		more += s.bits - s.base
		renorm += s.renorm - s.baseRenorm
		lost, baseLost = lost+s.lost, baseLost+s.baseLost
	}
	fmt.Printf("\nsame segments: %.0f bits more than the base; renormalized over the tokens both vocabularies spell, %.0f more. "+
		"Probability on tokens the other vocabulary lacks there: transplant %.4f, base %.4f (mean of %d)\n",
		more, renorm, lost/float64(max(n, 1)), baseLost/float64(max(n, 1)), n)
}
