package main

import (
	"fmt"
	"math"

	"github.com/transplant-dev/transplant/eval"
	"github.com/transplant-dev/transplant/eval/forward"
	"github.com/transplant-dev/transplant/tokenizer"
)

// sharedIDs marks, in each vocabulary, the ids whose bytes the other
// vocabulary has a token for.
func sharedIDs(baseTok, tok *tokenizer.Tokenizer, splitter *eval.Splitter) (base, model []bool) {
	bytesOf := func(t *tokenizer.Tokenizer, id int) (string, bool) {
		s := t.Surface(id)
		return string(s.Bytes), !s.Unused && len(s.Bytes) > 0
	}
	model = make([]bool, tok.VocabSize())
	spelled := map[string]bool{}
	for id := range model {
		if b, ok := bytesOf(tok, id); ok && !splitter.IsNew(id) {
			model[id], spelled[b] = true, true
		}
	}
	base = make([]bool, baseTok.VocabSize())
	for id := range base {
		b, ok := bytesOf(baseTok, id)
		base[id] = ok && spelled[b]
	}
	return base, model
}

// sharedMass is, at each scored position of t (the model in dir's score of
// a text), the log of the probability the model gives the ids shared marks
// (0 elsewhere). It runs the model over t's id stream in the windows
// eval scores in (non-overlapping, of the model's context) and checks that
// the negative log-likelihoods it finds are t's.
func sharedMass(dir string, t eval.Targets, shared []bool) ([]float64, error) {
	m, err := forward.Load(dir)
	if err != nil {
		return nil, err
	}
	n, v := min(m.Context(), eval.MaxDefaultContext), m.Config().VocabSize
	out := make([]float64, len(t.IDs))
	logits := make([]float32, n*v)
	for s := 0; s+1 < len(t.IDs); s += n {
		in := t.IDs[s:min(s+n, len(t.IDs)-1)]
		if err := m.Logits(logits[:len(in)*v], in); err != nil {
			return nil, err
		}
		for p := range in {
			i := s + p + 1
			if !t.Scored[i] {
				continue
			}
			l := logits[p*v : (p+1)*v]
			all := logSumExp(l, nil)
			if nll := all - float64(l[t.IDs[i]]); math.Abs(nll-t.NLL[i]) > 1e-3*max(1, nll) {
				return nil, fmt.Errorf("%s: position %d: NLL %g, eval scored %g: not eval's windows", dir, i, nll, t.NLL[i])
			}
			out[i] = logSumExp(l, shared) - all
		}
	}
	return out, nil
}

// logSumExp is log Σ exp over the logits keep marks (all when nil).
func logSumExp(l []float32, keep []bool) float64 {
	top := math.Inf(-1)
	for j, x := range l {
		if keep == nil || keep[j] {
			top = max(top, float64(x))
		}
	}
	sum := 0.0
	for j, x := range l {
		if keep == nil || keep[j] {
			sum += math.Exp(float64(x) - top)
		}
	}
	return top + math.Log(sum)
}
