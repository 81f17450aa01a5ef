package forward

import (
	"fmt"
	"math"
)

// Logits runs the model on one window of ids (positions 0, 1, …) and writes
// the next-token logits of every position to dst, len(ids)×VocabSize
// row-major.
func (m *Model) Logits(dst []float32, ids []int) error {
	if err := m.check(ids); err != nil {
		return err
	}
	if len(dst) != len(ids)*m.cfg.VocabSize {
		return fmt.Errorf("forward: %w: logits buffer of %d values for %d×%d", ErrInput, len(dst), len(ids), m.cfg.VocabSize)
	}
	r := m.runners.Get().(*runner)
	defer m.runners.Put(r)
	r.body(ids, Residual{})
	m.head.mul(dst, m.cfg.VocabSize, r.h, m.cfg.Hidden, len(ids), false)
	m.capLogits(dst)
	return nil
}

// LogitsAt is Logits for the positions in at only, ascending: row k of dst
// (len(at)×VocabSize row-major) is the next-token logits after
// ids[:at[k]+1]. The body runs up to the last position asked for; the
// head, the larger part of the work with a large vocabulary, only over the
// rows asked for.
func (m *Model) LogitsAt(dst []float32, ids, at []int) error {
	if err := m.check(ids); err != nil {
		return err
	}
	V, H := m.cfg.VocabSize, m.cfg.Hidden
	if len(dst) != len(at)*V {
		return fmt.Errorf("forward: %w: logits buffer of %d values for %d×%d", ErrInput, len(dst), len(at), V)
	}
	for k, p := range at {
		if p < 0 || p >= len(ids) || k > 0 && p <= at[k-1] {
			return fmt.Errorf("forward: %w: position %d (entry %d) not ascending within the %d ids", ErrInput, p, k, len(ids))
		}
	}
	if len(at) == 0 {
		return nil
	}
	r := m.runners.Get().(*runner)
	defer m.runners.Put(r)
	r.body(ids[:at[len(at)-1]+1], Residual{}) // later positions cannot change earlier ones
	// Gather the rows in place: at ascends, so row k moves up or stays.
	for k, p := range at {
		copy(r.h[k*H:(k+1)*H], r.h[p*H:(p+1)*H])
	}
	m.head.mul(dst, V, r.h, H, len(at), false)
	m.capLogits(dst)
	return nil
}

// NLL runs the model on one window of ids (positions 0, 1, …) and sets
// dst[i] to the negative log-likelihood, in nats, of targets[i] following
// ids[:i+1]. Positions whose target is negative are skipped and dst[i] left
// alone; the output head runs only over the scored rows, a block at a
// time, so no window needs all its logits at once.
func (m *Model) NLL(dst []float64, ids, targets []int) error {
	return m.NLLStates(dst, nil, ids, targets)
}

// NLLStates is NLL that also copies the final normed hidden states of every
// position, the vectors the output head multiplies, into states
// (len(ids)×Hidden row-major) unless states is nil.
func (m *Model) NLLStates(dst []float64, states []float32, ids, targets []int) error {
	return m.NLLStatesResidual(dst, states, Residual{}, ids, targets)
}

// A Residual asks a forward pass for the residual stream after its first
// After layers, copied into Dst (len(ids)×Hidden row-major) on the way:
// with After = 0 the input embeddings as the first layer reads them
// (learned positions added, Gemma's scale applied), with After = Layers
// the stream the final norm normalizes. A nil Dst asks for nothing.
type Residual struct {
	After int
	Dst   []float32
}

// NLLStatesResidual is NLLStates that also copies the residual stream res
// asks for, in the same pass.
func (m *Model) NLLStatesResidual(dst []float64, states []float32, res Residual, ids, targets []int) error {
	if err := m.check(ids); err != nil {
		return err
	}
	if len(targets) != len(ids) || len(dst) != len(ids) {
		return fmt.Errorf("forward: %w: %d ids, %d targets, %d outputs", ErrInput, len(ids), len(targets), len(dst))
	}
	V, H := m.cfg.VocabSize, m.cfg.Hidden
	if states != nil && len(states) != len(ids)*H {
		return fmt.Errorf("forward: %w: states buffer of %d values for %d×%d", ErrInput, len(states), len(ids), H)
	}
	if res.Dst == nil {
		res.After = -1 // no layer copies
	} else if res.After < 0 || res.After > len(m.layers) || len(res.Dst) != len(ids)*H {
		return fmt.Errorf("forward: %w: residual after %d of %d layers into %d values for %d×%d", ErrInput, res.After, len(m.layers), len(res.Dst), len(ids), H)
	}
	first, last := -1, -1
	for i, t := range targets {
		if t >= V {
			return fmt.Errorf("forward: %w: target %d at position %d outside the vocabulary [0, %d)", ErrInput, t, i, V)
		}
		if t >= 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 && states == nil && res.Dst == nil {
		return nil
	}
	r := m.runners.Get().(*runner)
	defer m.runners.Put(r)
	if states != nil || res.Dst != nil {
		r.body(ids, res)
		if states != nil {
			copy(states, r.h[:len(ids)*H])
		}
	} else {
		r.body(ids[:last+1], res) // later positions cannot change earlier ones
	}
	if first < 0 {
		return nil
	}
	// The head, the larger part of a pass with a large vocabulary, runs
	// over the positions with a target alone: their states are moved to
	// the front of r.h (the caller's copy is made), in order.
	at := make([]int, 0, last+1-first)
	for i := first; i <= last; i++ {
		if targets[i] >= 0 {
			copy(r.h[len(at)*H:(len(at)+1)*H], r.h[i*H:(i+1)*H])
			at = append(at, i)
		}
	}
	block := len(r.logits) / V
	for b0 := 0; b0 < len(at); b0 += block {
		b1 := min(len(at), b0+block)
		m.head.mul(r.logits, V, r.h[b0*H:], H, b1-b0, false)
		m.capLogits(r.logits[:(b1-b0)*V])
		for j, i := range at[b0:b1] {
			row := r.logits[j*V : (j+1)*V]
			target := float64(row[targets[i]]) // logSumExp overwrites the row
			dst[i] = logSumExp(row) - target
		}
	}
	return nil
}

// Layers is the number of transformer layers.
func (m *Model) Layers() int { return len(m.layers) }

// InputRow inverts the input transform (Residual with After = 0) at
// position: dst is the embedding row that, read there, puts x in the
// residual stream (x less the learned position, divided by Gemma's
// scale). dst may be x.
func (m *Model) InputRow(dst, x []float32, position int) error {
	H := m.cfg.Hidden
	if len(dst) != H || len(x) != H || position < 0 || m.positions != nil && position >= m.cfg.MaxPositions {
		return fmt.Errorf("forward: %w: input row of %d values from %d at position %d", ErrInput, len(dst), len(x), position)
	}
	copy(dst, x)
	if m.positions != nil {
		for i, p := range m.positions[position*H : (position+1)*H] {
			dst[i] -= p
		}
	}
	if m.cfg.ScaleEmbeddings {
		scale := float32(math.Sqrt(float64(H)))
		for i := range dst {
			dst[i] /= scale
		}
	}
	return nil
}

// capLogits applies the final logit soft-capping, if the model has one.
func (m *Model) capLogits(logits []float32) {
	if m.cfg.FinalSoftcap > 0 {
		softcap(logits, m.cfg.FinalSoftcap)
	}
}
