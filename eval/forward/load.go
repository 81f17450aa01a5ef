package forward

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/transplant-dev/transplant/checkpoint"
)

// loader reads tensors from a Source, checks their shapes and keeps the
// first error, so the per-architecture loaders read as a list of names.
type loader struct {
	src Source
	err error
}

// tensor reads name and checks its shape.
func (l *loader) tensor(name string, shape ...int) []float32 {
	if l.err != nil {
		return nil
	}
	data, got, err := l.src.Float32(name)
	switch {
	case err != nil:
		l.err = fmt.Errorf("tensor %q: %w", name, err)
	case !slices.Equal(got, shape):
		l.err = fmt.Errorf("%w: tensor %q has shape %v, want %v", ErrWeights, name, got, shape)
	case len(data) != product(shape):
		l.err = fmt.Errorf("%w: tensor %q holds %d values for shape %v", ErrWeights, name, len(data), shape)
	default:
		return data
	}
	return nil
}

// linear reads an nn.Linear weight (out×in) and, with bias, its bias.
func (l *loader) linear(name string, out, in int, bias bool) linear {
	lin := linear{w: l.tensor(name+".weight", out, in), out: out, in: in}
	if bias {
		lin.b = l.tensor(name+".bias", out)
	}
	return lin
}

// conv1D reads a GPT-2 Conv1D (weight stored in×out, always with a bias)
// and turns it into an nn.Linear layout.
func (l *loader) conv1D(name string, in, out int) linear {
	w := l.tensor(name+".weight", in, out)
	b := l.tensor(name+".bias", out)
	if l.err != nil {
		return linear{}
	}
	t := make([]float32, len(w))
	for i := range in {
		for j := range out {
			t[j*in+i] = w[i*out+j]
		}
	}
	return linear{w: t, b: b, out: out, in: in}
}

// stack joins linear layers with the same input into one whose outputs are
// theirs in order, so one matrix product computes all of them.
func stack(parts ...linear) linear {
	s := linear{in: parts[0].in}
	withBias := parts[0].b != nil
	for _, p := range parts {
		s.w = append(s.w, p.w...)
		if withBias {
			s.b = append(s.b, p.b...)
		}
		s.out += p.out
	}
	return s
}

func (m *Model) loadLlama(src Source) error {
	c := &m.cfg
	l := &loader{src: src}
	H, hd := c.Hidden, c.HeadDim
	rms := func(name string, n int) norm {
		w := l.tensor(name, n)
		if c.NormAddOne && w != nil {
			// A new slice: a Source may hand out memory it shares.
			w1 := make([]float32, len(w))
			for i, v := range w {
				w1[i] = 1 + v
			}
			w = w1
		}
		return norm{w: w}
	}
	names := tensorNames(c)
	m.embed = l.tensor(names.Embedding, c.VocabSize, H)
	m.layers = make([]layer, c.Layers)
	for i := range m.layers {
		p := fmt.Sprintf("model.layers.%d.", i)
		ly := &m.layers[i]
		ly.attnNorm = rms(p+"input_layernorm.weight", H)
		ly.qkv, ly.up = l.llamaProjections(p, c)
		if c.QKNorm {
			ly.qNorm = rms(p+"self_attn.q_norm.weight", hd).w
			ly.kNorm = rms(p+"self_attn.k_norm.weight", hd).w
		}
		ly.o = l.linear(p+"self_attn.o_proj", H, c.Heads*hd, c.OutputBias)
		if c.PostNorms {
			// Gemma 2 names the norm after attention as Llama names the
			// one before the MLP.
			ly.postAttnNorm = rms(p+"post_attention_layernorm.weight", H)
			ly.mlpNorm = rms(p+"pre_feedforward_layernorm.weight", H)
			ly.postMLPNorm = rms(p+"post_feedforward_layernorm.weight", H)
		} else {
			ly.mlpNorm = rms(p+"post_attention_layernorm.weight", H)
		}
		ly.down = l.linear(p+"mlp.down_proj", H, c.Intermediate, c.MLPBias)
	}
	m.final = rms("model.norm.weight", H)
	m.head = l.head(c, names, m.embed)
	return l.err
}

// tensorNames is the entry of package checkpoint's architecture table for
// c: where the embedding and the head are.
func tensorNames(c *Config) checkpoint.Architecture {
	a, _ := checkpoint.LookupModelType(c.ModelType)
	return a
}

// head is the output projection: the embedding when tied.
func (l *loader) head(c *Config, names checkpoint.Architecture, embed []float32) linear {
	if c.TieEmbeddings {
		return linear{w: embed, out: c.VocabSize, in: c.Hidden}
	}
	return l.linear(strings.TrimSuffix(names.Head, ".weight"), c.VocabSize, c.Hidden, false)
}

// llamaProjections reads the q/k/v projection and the MLP's gate/up
// projection of the layer whose names start with p: stored fused (Phi-3) or
// one tensor each, they end up as one linear each, rows in the same order.
func (l *loader) llamaProjections(p string, c *Config) (qkv, gateUp linear) {
	nq, nkv := c.Heads*c.HeadDim, c.KVHeads*c.HeadDim
	if architectures[c.ModelType].fused {
		qkv = l.linear(p+"self_attn.qkv_proj", nq+2*nkv, c.Hidden, c.AttentionBias)
		gateUp = l.linear(p+"mlp.gate_up_proj", 2*c.Intermediate, c.Hidden, c.MLPBias)
		return qkv, gateUp
	}
	qkv = stack(
		l.linear(p+"self_attn.q_proj", nq, c.Hidden, c.AttentionBias),
		l.linear(p+"self_attn.k_proj", nkv, c.Hidden, c.AttentionBias),
		l.linear(p+"self_attn.v_proj", nkv, c.Hidden, c.AttentionBias))
	gateUp = stack(
		l.linear(p+"mlp.gate_proj", c.Intermediate, c.Hidden, c.MLPBias),
		l.linear(p+"mlp.up_proj", c.Intermediate, c.Hidden, c.MLPBias))
	return qkv, gateUp
}

// gpt2Embedding finds the token embedding and with it the prefix of GPT-2's
// tensor names: none on the Hub's original checkpoints, "transformer." when
// saved from GPT2LMHeadModel.
func (l *loader) gpt2Embedding(vocab, hidden int) (prefix string, embed []float32) {
	var errs []error
	for _, p := range []string{"", "transformer."} {
		probe := &loader{src: l.src}
		embed = probe.tensor(p+"wte.weight", vocab, hidden)
		if probe.err == nil {
			return p, embed
		}
		errs = append(errs, probe.err)
	}
	l.err = fmt.Errorf("no usable token embedding: %w", errors.Join(errs...))
	return "", nil
}

func (m *Model) loadGPT2(src Source) error {
	c := &m.cfg
	l := &loader{src: src}
	H := c.Hidden
	ln := func(name string) norm {
		return norm{w: l.tensor(name+".weight", H), b: l.tensor(name+".bias", H)}
	}
	pre, embed := l.gpt2Embedding(c.VocabSize, H)
	m.embed = embed
	m.positions = l.tensor(pre+"wpe.weight", c.MaxPositions, H)
	m.layers = make([]layer, c.Layers)
	for i := range m.layers {
		p := fmt.Sprintf("%sh.%d.", pre, i)
		ly := &m.layers[i]
		ly.attnNorm = ln(p + "ln_1")
		ly.qkv = l.conv1D(p+"attn.c_attn", H, 3*H)
		ly.o = l.conv1D(p+"attn.c_proj", H, H)
		ly.mlpNorm = ln(p + "ln_2")
		ly.up = l.conv1D(p+"mlp.c_fc", H, c.Intermediate)
		ly.down = l.conv1D(p+"mlp.c_proj", c.Intermediate, H)
	}
	m.final = ln(pre + "ln_f")
	m.head = l.head(c, tensorNames(c), m.embed)
	return l.err
}

func product(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}
