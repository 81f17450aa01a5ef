package forward

import (
	"fmt"
	"math"

	"github.com/transplant-dev/transplant/internal/fastblas"
	"gonum.org/v1/gonum/blas"
)

// Scratch sizes. The output head and attention scores work on blocks of
// rows so that memory stays bounded however long the window and however
// large the vocabulary.
const (
	headBlockValues = 1 << 22 // float32 logits held at once (16 MiB)
	queryBlock      = 128     // query rows of attention scores held at once
	mlpBlock        = 256     // rows of MLP activations held at once
)

// blocks are the row counts a model processes at once: output head rows,
// attention query rows, MLP rows. They change memory, never results.
type blocks struct{ head, query, mlp int }

// runner holds the scratch buffers of one forward pass; a Model hands one to
// each concurrent call.
type runner struct {
	m      *Model
	n      int           // positions the buffers hold
	x      []float32     // residual stream, n×Hidden
	h      []float32     // normed input of a sub-layer, n×Hidden
	qkv    []float32     // n×(Heads+2·KVHeads)·HeadDim
	att    []float32     // attention output, n×Heads·HeadDim
	mlp    []float32     // blocks.mlp×up.out
	scores []float32     // blocks.query×n
	logits []float32     // a block of head rows
	rot    []rotaryTable // one per Model.ropes
}

// reserve grows the buffers to hold n positions.
func (r *runner) reserve(n int) {
	if n <= r.n {
		return
	}
	c := &r.m.cfg
	r.n = n
	r.x = make([]float32, n*c.Hidden)
	r.h = make([]float32, n*c.Hidden)
	r.qkv = make([]float32, n*r.m.layers[0].qkv.out)
	r.att = make([]float32, n*c.Heads*c.HeadDim)
	b := r.m.blocks
	r.mlp = make([]float32, min(n, b.mlp)*r.m.layers[0].up.out)
	r.scores = make([]float32, min(n, b.query)*n)
	r.logits = make([]float32, min(n, b.head)*c.VocabSize)
}

// ScratchBytes is the memory one forward pass over a window of n ids
// holds besides the weights: a call borrows it, and concurrent calls
// borrow one each. It counts what reserve allocates, the MLP as gated.
func (c *Config) ScratchBytes(n int) int64 {
	qkv := (c.Heads + 2*c.KVHeads) * c.HeadDim
	values := n*(2*c.Hidden+qkv+c.Heads*c.HeadDim) +
		min(n, mlpBlock)*2*c.Intermediate + min(n, queryBlock)*n +
		min(n, max(1, headBlockValues/c.VocabSize))*c.VocabSize
	return int64(values) * 4
}

// check validates a window of ids against the model.
func (m *Model) check(ids []int) error {
	if len(ids) == 0 {
		return fmt.Errorf("forward: %w: empty window", ErrInput)
	}
	if m.positions != nil && len(ids) > m.cfg.MaxPositions {
		return fmt.Errorf("forward: %w: window of %d ids exceeds the %d learned positions", ErrInput, len(ids), m.cfg.MaxPositions)
	}
	for i, id := range ids {
		if id < 0 || id >= m.cfg.VocabSize {
			return fmt.Errorf("forward: %w: id %d at position %d outside the vocabulary [0, %d)", ErrInput, id, i, m.cfg.VocabSize)
		}
	}
	return nil
}

// body runs the transformer over ids, leaving the final normed hidden
// states in r.h, and copies the residual stream res asks for on the way.
func (r *runner) body(ids []int, res Residual) {
	m := r.m
	c := &m.cfg
	H, T := c.Hidden, len(ids)
	r.reserve(T)
	r.rotaryTables(T)
	for t, id := range ids {
		r.embedRow(r.x[t*H:(t+1)*H], m.embed[id*H:(id+1)*H], t)
	}
	for li := range m.layers {
		if li == res.After {
			copy(res.Dst, r.x[:T*H])
		}
		r.layer(&m.layers[li], T, nil)
	}
	if res.After == len(m.layers) {
		copy(res.Dst, r.x[:T*H])
	}
	r.normRows(&m.final, T)
}

// embedRow writes to x the residual stream an embedding row starts at
// position t: learned positions added, Gemma's scale applied.
func (r *runner) embedRow(x, row []float32, t int) {
	c := &r.m.cfg
	copy(x, row)
	if r.m.positions != nil {
		addTo(x, r.m.positions[t*c.Hidden:(t+1)*c.Hidden])
	}
	if c.ScaleEmbeddings {
		// transformers holds Gemma's sqrt(hidden_size) in the run's dtype.
		scale := float32(math.Sqrt(float64(c.Hidden)))
		for i := range x {
			x[i] *= scale
		}
	}
}

// layer runs one transformer layer over the first T rows of the residual
// stream, a window, and the probes in the rows after them.
func (r *runner) layer(ly *layer, T int, probes []Probe) {
	c := &r.m.cfg
	H, n := c.Hidden, T+len(probes)
	r.normRows(&ly.attnNorm, n)
	ly.qkv.mul(r.qkv, ly.qkv.out, r.h, H, n, false)
	r.attention(ly, T)
	if len(probes) > 0 {
		r.probeAttention(ly, T, probes)
	}
	if ly.postAttnNorm.w == nil {
		ly.o.mul(r.x, H, r.att, c.Heads*c.HeadDim, n, true)
	} else {
		ly.o.mul(r.h, H, r.att, c.Heads*c.HeadDim, n, false)
		r.addNormed(&ly.postAttnNorm, 0, n)
	}
	r.normRows(&ly.mlpNorm, n)
	act := activations[c.Activation]
	for t0 := 0; t0 < n; t0 += r.m.blocks.mlp {
		r.mlpRows(ly, act, t0, min(n, t0+r.m.blocks.mlp))
	}
}

// mlpRows adds the MLP of rows [t0, t1) of r.h to the residual stream.
func (r *runner) mlpRows(ly *layer, act func([]float32), t0, t1 int) {
	H, n, w := r.m.cfg.Hidden, t1-t0, ly.up.out
	ly.up.mul(r.mlp, w, r.h[t0*H:], H, n, false)
	if r.m.cfg.family() == llamaFamily {
		// Gated MLP: act(gate)·up into the gate half of each row.
		I := r.m.cfg.Intermediate
		for t := range n {
			gate, up := r.mlp[t*w:t*w+I], r.mlp[t*w+I:(t+1)*w]
			act(gate)
			for i, u := range up {
				gate[i] *= u
			}
		}
	} else {
		act(r.mlp[:n*w])
	}
	if ly.postMLPNorm.w == nil {
		ly.down.mul(r.x[t0*H:], H, r.mlp, w, n, true)
		return
	}
	// Rows [t0, t1) of r.h are spent: they hold the MLP output until its
	// norm joins the residual stream.
	ly.down.mul(r.h[t0*H:], H, r.mlp, w, n, false)
	r.addNormed(&ly.postMLPNorm, t0, t1)
}

// addNormed adds the norm of rows [t0, t1) of r.h to the residual stream,
// norming r.h in place.
func (r *runner) addNormed(n *norm, t0, t1 int) {
	H := r.m.cfg.Hidden
	for t := t0; t < t1; t++ {
		h := r.h[t*H : (t+1)*H]
		n.apply(h, h, r.m.cfg.NormEps)
		addTo(r.x[t*H:(t+1)*H], h)
	}
}

// normRows writes the norm of each of the first T rows of r.x to r.h.
func (r *runner) normRows(n *norm, T int) {
	H := r.m.cfg.Hidden
	for t := range T {
		n.apply(r.h[t*H:(t+1)*H], r.x[t*H:(t+1)*H], r.m.cfg.NormEps)
	}
}

// mul computes dst = x·Wᵀ + b (or dst += x·Wᵀ + b with add) for rows rows of
// x; ldDst and ldX are the row strides of dst and x.
func (l *linear) mul(dst []float32, ldDst int, x []float32, ldX int, rows int, add bool) {
	var beta float32
	if add {
		beta = 1
	}
	fastblas.Float32().Sgemm(blas.NoTrans, blas.Trans, rows, l.out, l.in, 1, x, ldX, l.w, l.in, beta, dst, ldDst)
	if l.b != nil {
		for t := range rows {
			addTo(dst[t*ldDst:t*ldDst+l.out], l.b)
		}
	}
}
