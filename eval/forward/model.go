package forward

import (
	"cmp"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"sync"

	"github.com/transplant-dev/transplant/checkpoint"
)

// A Source supplies named tensors widened to float32, row-major, with their
// shapes. *checkpoint.Model is one.
type Source interface {
	Float32(name string) ([]float32, []int, error)
}

// A Model is a decoder-only transformer held in float32, ready to run.
// Its methods are safe for concurrent use: each call borrows its own
// scratch buffers.
type Model struct {
	cfg       Config
	embed     []float32 // VocabSize×Hidden
	positions []float32 // MaxPositions×Hidden, learned positions (GPT-2) only
	layers    []layer
	final     norm
	head      linear    // VocabSize×Hidden; shares embed when tied
	ropes     []rope    // rotary frequencies (llama family): global, then local if any
	blocks    blocks    // rows processed at once; see the constants in run.go
	runners   sync.Pool // *runner
}

// norm is an RMSNorm (b == nil) or a LayerNorm.
type norm struct{ w, b []float32 }

func (n *norm) apply(dst, x []float32, eps float64) {
	if n.b == nil {
		rmsNorm(dst, x, n.w, eps)
	} else {
		layerNorm(dst, x, n.w, n.b, eps)
	}
}

// linear is y = x·Wᵀ + b with W stored out×in, as nn.Linear stores it.
type linear struct {
	w       []float32
	b       []float32 // nil: no bias
	out, in int
}

type layer struct {
	attnNorm, mlpNorm norm
	// Gemma 2's norms of the attention and MLP outputs; w == nil: none.
	postAttnNorm, postMLPNorm norm
	qkv                       linear // q, k and v projections stacked by output rows
	qNorm, kNorm              []float32
	o                         linear
	up                        linear // gated MLP: gate rows, then up rows
	down                      linear
	scale                     float32 // of the attention scores
	window                    int     // keys a query sees, itself included; 0: all
	rope                      int     // index of the layer's rotary embedding in Model.ropes
}

// Config returns the model's hyper-parameters.
func (m *Model) Config() Config { return m.cfg }

// Context is the longest window the model was built for
// (max_position_embeddings / n_positions).
func (m *Model) Context() int { return m.cfg.MaxPositions }

// VocabSize is the number of rows of the output head.
func (m *Model) VocabSize() int { return m.cfg.VocabSize }

// HeadWeights returns the output head, VocabSize×Hidden in row-major
// order: the input embedding when the two are tied. The slice is the
// model's own, so that a caller that needs the head too need not hold a
// second copy; it must not be modified.
func (m *Model) HeadWeights() []float32 { return m.head.w }

// New reads the model's weights from src, checking every shape against cfg.
func New(cfg *Config, src Source) (*Model, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("forward: %w", err)
	}
	m := &Model{cfg: *cfg}
	m.cfg.SlidingLayers = slices.Clone(cfg.SlidingLayers) // the caller keeps its Config
	var err error
	switch cfg.family() {
	case llamaFamily:
		err = m.loadLlama(src)
	case gpt2Family:
		err = m.loadGPT2(src)
	}
	if err != nil {
		return nil, fmt.Errorf("forward: %s model: %w", cfg.ModelType, err)
	}
	for i := range m.layers {
		ly := &m.layers[i]
		ly.scale = float32(1 / math.Sqrt(cmp.Or(cfg.QueryPreAttnScalar, float64(cfg.HeadDim))))
		if cfg.ScaleByLayer {
			ly.scale /= float32(i + 1)
		}
		if cfg.SlidingLayers == nil || cfg.SlidingLayers[i] {
			ly.window = cfg.SlidingWindow
			if cfg.LocalRopeTheta > 0 {
				ly.rope = 1
			}
		}
	}
	if cfg.family() == llamaFamily {
		m.ropes = newRopes(cfg)
	}
	m.blocks = blocks{head: max(1, headBlockValues/cfg.VocabSize), query: queryBlock, mlp: mlpBlock}
	m.runners.New = func() any { return &runner{m: m} }
	return m, nil
}

// Load reads a model directory (config.json and weights in any layout
// package checkpoint opens: safetensors or PyTorch, sharded or not) into
// memory and builds the model.
func Load(dir string) (*Model, error) {
	cfg, err := ReadConfig(filepath.Join(dir, checkpoint.ConfigName))
	if err != nil {
		return nil, err
	}
	ck, err := checkpoint.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("forward: %w", err)
	}
	defer ck.Close()
	// The checkpoint's reading of the tie rule also covers a directory
	// that stores no head, which transformers loads as tied.
	cfg.TieEmbeddings = ck.Tied()
	m, err := New(cfg, ck)
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, dir)
	}
	return m, nil
}
