package forward

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/transplant-dev/transplant/checkpoint"
)

// Sentinel errors; callers branch on them with errors.Is.
var (
	// ErrUnsupported: the model_type, activation, RoPE scaling or another
	// feature of the model is not one this package implements.
	ErrUnsupported = errors.New("unsupported")
	// ErrConfig: config.json lacks a field or holds an impossible value.
	ErrConfig = errors.New("invalid config")
	// ErrWeights: a tensor is missing or has the wrong shape.
	ErrWeights = errors.New("invalid weights")
	// ErrInput: token ids out of range or a window the model cannot take.
	ErrInput = errors.New("invalid input")
)

// Config holds the hyper-parameters the forward pass needs, read from a
// Hugging Face config.json with the defaults transformers applies.
type Config struct {
	ModelType     string // llama, mistral, qwen2, qwen3, phi3, gemma, gemma2, gemma3_text or gpt2
	VocabSize     int
	Hidden        int // width of the residual stream
	Layers        int
	Heads         int // query heads
	KVHeads       int // key/value heads; fewer than Heads for grouped-query attention
	HeadDim       int
	Intermediate  int     // MLP width
	NormEps       float64 // epsilon of every RMSNorm or LayerNorm
	Activation    string  // hidden_act / activation_function
	MaxPositions  int     // max_position_embeddings / n_positions
	TieEmbeddings bool    // the output head is the input embedding
	AttentionBias bool    // biases on the q, k and v projections
	OutputBias    bool    // a bias on the attention output projection
	MLPBias       bool    // biases on the MLP projections
	QKNorm        bool    // per-head RMSNorm of q and k before RoPE
	SlidingWindow int     // a query attends to at most this many keys (itself included); 0: no limit
	ScaleByLayer  bool    // GPT-2's scale_attn_by_inverse_layer_idx
	RopeTheta     float64 // llama family only
	RopeScaling   *RopeScaling
	// LocalRopeTheta, when set, is the RoPE base of the layers
	// SlidingLayers marks, which then rotate with LocalRopeScaling (nil:
	// none) while the others keep RopeTheta and RopeScaling (Gemma 3).
	LocalRopeTheta   float64
	LocalRopeScaling *RopeScaling
	// RotaryDim is how many leading dimensions of each head RoPE turns:
	// HeadDim, or less with Phi-3's partial_rotary_factor; the rest pass
	// through unchanged. Llama family only.
	RotaryDim int
	// ScaleEmbeddings multiplies the input embeddings by sqrt(Hidden),
	// rounded to float32 as transformers does in a float32 run (Gemma).
	ScaleEmbeddings bool
	// NormAddOne makes every RMSNorm scale by 1 + weight (Gemma).
	NormAddOne bool
	// SlidingLayers says which layers SlidingWindow applies to; nil: all.
	// Gemma 2 alternates, starting with a windowed layer; Gemma 3 makes
	// every sixth layer global.
	SlidingLayers []bool
	// PostNorms adds Gemma 2's RMSNorms on the attention output and around
	// the MLP: x += norm(attn(norm(x))); x += norm(mlp(norm(x))).
	PostNorms bool
	// QueryPreAttnScalar, when set, scales attention scores by its inverse
	// square root instead of HeadDim's (Gemma 2 and 3).
	QueryPreAttnScalar float64
	// AttnSoftcap and FinalSoftcap, when set, pass attention scores and
	// output logits through c·tanh(x/c) (Gemma 2; Gemma 3 when configured).
	AttnSoftcap, FinalSoftcap float64
	BOS                       int // bos_token_id (transformers' default when absent), or -1 when null
}

// family is the transformer body of the config's model_type.
func (c *Config) family() family { return architectures[c.ModelType].family }

// RopeScaling is a config.json rope_scaling entry of a supported kind.
type RopeScaling struct {
	Type   string  // "linear", "llama3" or "longrope"
	Factor float64 // positions are stretched by this factor
	// llama3 only: frequencies whose wavelength is below
	// OriginalMaxPositions/HighFreqFactor are kept, those above
	// OriginalMaxPositions/LowFreqFactor divided by Factor, and those in
	// between interpolated.
	LowFreqFactor  float64
	HighFreqFactor float64
	// OriginalMaxPositions is the context the model was pretrained with
	// (llama3 and longrope).
	OriginalMaxPositions int
	// longrope only: frequency i is divided by ShortFactor[i] in windows of
	// at most OriginalMaxPositions ids and by LongFactor[i] in longer ones,
	// and cos and sin are multiplied by AttentionFactor in both.
	ShortFactor, LongFactor []float64
	AttentionFactor         float64
}

// ReadConfig reads and parses the config.json at path.
func ReadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("forward: %w", err)
	}
	c, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("forward: %s: %w", path, err)
	}
	return c, nil
}

// rawConfig is config.json as written by transformers; pointers tell an
// absent or null field from a zero one.
type rawConfig struct {
	ModelType            string          `json:"model_type"`
	Architectures        []string        `json:"architectures"`
	VocabSize            *int            `json:"vocab_size"`
	HiddenSize           *int            `json:"hidden_size"`
	Layers               *int            `json:"num_hidden_layers"`
	Heads                *int            `json:"num_attention_heads"`
	KVHeads              *int            `json:"num_key_value_heads"`
	HeadDim              *int            `json:"head_dim"`
	Intermediate         *int            `json:"intermediate_size"`
	RMSNormEps           *float64        `json:"rms_norm_eps"`
	HiddenAct            *string         `json:"hidden_act"`
	HiddenActivation     *string         `json:"hidden_activation"`
	MaxPositions         *int            `json:"max_position_embeddings"`
	OriginalMaxPositions *int            `json:"original_max_position_embeddings"`
	RopeTheta            *float64        `json:"rope_theta"`
	RopeScaling          json.RawMessage `json:"rope_scaling"`
	PartialRotary        *float64        `json:"partial_rotary_factor"`
	RopeParameters       json.RawMessage `json:"rope_parameters"`
	AttnBias             *bool           `json:"attention_bias"`
	MLPBias              *bool           `json:"mlp_bias"`
	SlidingWindow        json.RawMessage `json:"sliding_window"`
	UseSliding           *bool           `json:"use_sliding_window"`
	BOS                  json.RawMessage `json:"bos_token_id"`
	Bidirectional        *bool           `json:"use_bidirectional_attention"`

	// Gemma 2.
	QueryPreAttnScalar *float64        `json:"query_pre_attn_scalar"`
	AttnSoftcap        json.RawMessage `json:"attn_logit_softcapping"`
	FinalSoftcap       json.RawMessage `json:"final_logit_softcapping"`
	LayerTypes         []string        `json:"layer_types"`

	// Gemma 3.
	RopeLocalBase  *float64 `json:"rope_local_base_freq"`
	SlidingPattern *int     `json:"sliding_window_pattern"`

	// GPT-2 spellings.
	NEmbd           *int     `json:"n_embd"`
	NLayer          *int     `json:"n_layer"`
	NHead           *int     `json:"n_head"`
	NInner          *int     `json:"n_inner"`
	NPositions      *int     `json:"n_positions"`
	LayerNormEps    *float64 `json:"layer_norm_epsilon"`
	ActivationFunc  *string  `json:"activation_function"`
	ScaleWeights    *bool    `json:"scale_attn_weights"`
	ScaleByLayerIdx *bool    `json:"scale_attn_by_inverse_layer_idx"`
	ReorderUpcast   *bool    `json:"reorder_and_upcast_attn"`
}

// ParseConfig parses config.json data. Errors wrap ErrUnsupported for
// architectures and features this package does not implement and
// ErrConfig for missing or impossible values.
func ParseConfig(data []byte) (*Config, error) {
	var raw rawConfig
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	// Which model_type a class stands for, and the tie rule, live in
	// package checkpoint's table of architectures.
	cc, err := checkpoint.ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	mt := raw.ModelType
	if ca, ok := checkpoint.LookupArchitecture(cc); ok && mt == "" {
		mt = ca.ModelType
	}
	arch, ok := architectures[mt]
	if mt == "gemma3" || (mt == "" && slices.Contains(raw.Architectures, "Gemma3ForConditionalGeneration")) {
		return nil, fmt.Errorf("%w: model_type \"gemma3\" (Gemma3ForConditionalGeneration, text and vision); "+
			"only the text-only gemma3_text (Gemma3ForCausalLM) is supported", ErrUnsupported)
	}
	if !ok {
		return nil, fmt.Errorf("%w: model_type %q (architectures %v); supported: %s",
			ErrUnsupported, raw.ModelType, raw.Architectures, supportedTypes())
	}
	c := &Config{ModelType: mt, BOS: -1}
	switch arch.family {
	case llamaFamily:
		err = c.fromLlama(&raw, arch)
	case gpt2Family:
		err = c.fromGPT2(&raw, arch)
	}
	if err != nil {
		return nil, err
	}
	ca, _ := checkpoint.LookupModelType(mt)
	c.TieEmbeddings = ca.Tied(cc)
	if c.BOS, err = nullable(raw.BOS, arch.bosDefault, -1); err != nil {
		return nil, fmt.Errorf("%w: bos_token_id: %v", ErrConfig, err)
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func supportedTypes() string {
	var names []string
	for k := range architectures {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func (c *Config) fromLlama(raw *rawConfig, a architecture) error {
	if d := a.sizes; d != nil {
		for _, f := range []struct {
			p   **int
			def int
		}{{&raw.VocabSize, d.vocab}, {&raw.HiddenSize, d.hidden}, {&raw.Layers, d.layers},
			{&raw.Heads, d.heads}, {&raw.Intermediate, d.intermediate}, {&raw.MaxPositions, d.maxPositions}} {
			if *f.p == nil {
				*f.p = &f.def
			}
		}
	}
	if err := required(
		field{raw.VocabSize, "vocab_size"}, field{raw.HiddenSize, "hidden_size"},
		field{raw.Layers, "num_hidden_layers"}, field{raw.Heads, "num_attention_heads"},
		field{raw.Intermediate, "intermediate_size"}, field{raw.MaxPositions, "max_position_embeddings"},
	); err != nil {
		return err
	}
	c.VocabSize, c.Hidden, c.Layers = *raw.VocabSize, *raw.HiddenSize, *raw.Layers
	c.Heads, c.Intermediate, c.MaxPositions = *raw.Heads, *raw.Intermediate, *raw.MaxPositions
	c.KVHeads = or(raw.KVHeads, cmp.Or(a.kvHeadsDefault, c.Heads))
	if c.Heads > 0 {
		c.HeadDim = or(raw.HeadDim, cmp.Or(a.headDimDefault, c.Hidden/c.Heads))
	}
	c.NormEps = or(raw.RMSNormEps, a.epsDefault)
	c.Activation = or(raw.HiddenAct, a.actDefault)
	if a.gemma {
		c.ScaleEmbeddings, c.NormAddOne = true, true
	}
	if a.gemma2 {
		// Gemma 2 and 3 read hidden_activation. Gemma (1) reads hidden_act
		// as transformers 4.48 and later do, though its first configs say
		// "gelu" where the model was trained with the tanh approximation
		// (4.38.2 to 4.47 ignored hidden_act for it): the aim is the numbers
		// transformers gives today.
		c.Activation = or(raw.HiddenActivation, a.actDefault)
	}
	c.QKNorm = a.qkNorm
	switch a.bias {
	case biasFromConfig:
		c.AttentionBias = or(raw.AttnBias, false)
		c.OutputBias = c.AttentionBias
	case biasQKV:
		c.AttentionBias = true
	}
	if a.mlpBias {
		c.MLPBias = or(raw.MLPBias, false)
	}
	switch {
	case a.window:
		w, err := nullable(raw.SlidingWindow, a.windowDefault, 0)
		if err != nil {
			return fmt.Errorf("%w: sliding_window: %v", ErrConfig, err)
		}
		c.SlidingWindow = w
	case a.windowOptIn && or(raw.UseSliding, false):
		return fmt.Errorf("%w: use_sliding_window for %s (per-layer sliding windows)", ErrUnsupported, c.ModelType)
	}
	if or(raw.Bidirectional, false) {
		return fmt.Errorf("%w: use_bidirectional_attention", ErrUnsupported)
	}
	if a.gemma2 {
		if err := c.fromGemma2(raw, a); err != nil {
			return err
		}
	}
	if a.gemma3 {
		return c.fromLayerRopes(raw, a)
	}
	return c.fromRope(raw, a)
}

// fromRope reads the rotary embedding. transformers 5 saves it as
// rope_parameters (rope_theta, partial_rotary_factor and the scaling in
// one object) where 4 wrote rope_theta, partial_rotary_factor and
// rope_scaling; as transformers does, rope_scaling wins when set, and a
// value inside the object wins over its top-level spelling.
func (c *Config) fromRope(raw *rawConfig, a architecture) error {
	params := raw.RopeScaling
	if !present(params) {
		params = raw.RopeParameters
	}
	var inner struct {
		Theta   *float64        `json:"rope_theta"`
		Partial *float64        `json:"partial_rotary_factor"`
		Full    json.RawMessage `json:"full_attention"`
		Sliding json.RawMessage `json:"sliding_attention"`
	}
	if present(params) {
		if err := json.Unmarshal(params, &inner); err != nil {
			return fmt.Errorf("%w: rope_scaling / rope_parameters: %v", ErrConfig, err)
		}
	}
	if inner.Full != nil || inner.Sliding != nil {
		return fmt.Errorf("%w: rope_parameters per layer type for %s", ErrUnsupported, c.ModelType)
	}
	c.RopeTheta = or(cmp.Or(inner.Theta, raw.RopeTheta), cmp.Or(a.thetaDefault, 10000))
	if err := c.rotaryDim(cmp.Or(inner.Partial, raw.PartialRotary), a); err != nil {
		return err
	}
	var err error
	c.RopeScaling, err = parseRopeScaling(params, c.MaxPositions, raw.OriginalMaxPositions)
	return err
}

// fromGemma2 reads the soft-capping, query scaling and per-layer sliding
// windows of Gemma 2 and 3, with their config classes' defaults.
func (c *Config) fromGemma2(raw *rawConfig, a architecture) error {
	c.PostNorms = true
	c.QueryPreAttnScalar = or(raw.QueryPreAttnScalar, 256)
	var err error
	if c.AttnSoftcap, err = nullable(raw.AttnSoftcap, a.attnCapDefault, 0); err != nil {
		return fmt.Errorf("%w: attn_logit_softcapping: %v", ErrConfig, err)
	}
	if c.FinalSoftcap, err = nullable(raw.FinalSoftcap, a.finalCapDefault, 0); err != nil {
		return fmt.Errorf("%w: final_logit_softcapping: %v", ErrConfig, err)
	}
	c.SlidingLayers = make([]bool, c.Layers)
	if raw.LayerTypes == nil {
		every := a.globalEvery
		if a.gemma3 {
			every = or(raw.SlidingPattern, every)
		}
		if every <= 0 {
			return fmt.Errorf("%w: sliding_window_pattern %d", ErrConfig, every)
		}
		for i := range c.SlidingLayers {
			c.SlidingLayers[i] = (i+1)%every != 0
		}
		return nil
	}
	if len(raw.LayerTypes) != c.Layers {
		return fmt.Errorf("%w: layer_types has %d entries for %d layers", ErrConfig, len(raw.LayerTypes), c.Layers)
	}
	for i, t := range raw.LayerTypes {
		switch t {
		case "sliding_attention", "full_attention":
			c.SlidingLayers[i] = t == "sliding_attention"
		default:
			return fmt.Errorf("%w: layer_types[%d] %q", ErrUnsupported, i, t)
		}
	}
	return nil
}

// rotaryDim sets RotaryDim from partial_rotary_factor as transformers does:
// int(head_dim × factor).
func (c *Config) rotaryDim(factor *float64, a architecture) error {
	c.RotaryDim = c.HeadDim
	f := or(factor, 1)
	switch {
	case f == 1:
	case !a.partialRotary:
		return fmt.Errorf("%w: partial_rotary_factor %g for %s", ErrUnsupported, f, c.ModelType)
	case !(f > 0 && f < 1):
		return fmt.Errorf("%w: partial_rotary_factor %g outside (0, 1]", ErrConfig, f)
	default:
		c.RotaryDim = int(float64(c.HeadDim) * f)
	}
	return nil
}

func (c *Config) fromGPT2(raw *rawConfig, a architecture) error {
	if err := required(
		field{raw.VocabSize, "vocab_size"}, field{raw.NEmbd, "n_embd"}, field{raw.NLayer, "n_layer"},
		field{raw.NHead, "n_head"}, field{raw.NPositions, "n_positions"},
	); err != nil {
		return err
	}
	c.VocabSize, c.Hidden, c.Layers = *raw.VocabSize, *raw.NEmbd, *raw.NLayer
	c.Heads, c.KVHeads, c.MaxPositions = *raw.NHead, *raw.NHead, *raw.NPositions
	if c.Heads > 0 {
		c.HeadDim = c.Hidden / c.Heads
	}
	c.Intermediate = or(raw.NInner, 4*c.Hidden)
	c.NormEps = or(raw.LayerNormEps, a.epsDefault)
	c.Activation = or(raw.ActivationFunc, a.actDefault)
	c.AttentionBias, c.OutputBias, c.MLPBias = true, true, true
	c.ScaleByLayer = or(raw.ScaleByLayerIdx, false)
	if !or(raw.ScaleWeights, true) {
		return fmt.Errorf("%w: scale_attn_weights false", ErrUnsupported)
	}
	// reorder_and_upcast_attn only changes the precision of a half-precision
	// run; in float32 the math is the same.
	return nil
}

// validate checks what the forward pass relies on, so that a Config built
// or edited by hand gets the same checks as a parsed one.
func (c *Config) validate() error {
	if _, ok := architectures[c.ModelType]; !ok {
		return fmt.Errorf("%w: model_type %q; supported: %s", ErrUnsupported, c.ModelType, supportedTypes())
	}
	for _, f := range []struct {
		v    int
		name string
	}{{c.VocabSize, "vocabulary size"}, {c.Hidden, "hidden size"}, {c.Layers, "layer count"},
		{c.Heads, "head count"}, {c.KVHeads, "key/value head count"}, {c.HeadDim, "head_dim"},
		{c.Intermediate, "intermediate size"}, {c.MaxPositions, "context length"}} {
		if f.v <= 0 {
			return fmt.Errorf("%w: %s %d", ErrConfig, f.name, f.v)
		}
	}
	if c.Heads%c.KVHeads != 0 {
		return fmt.Errorf("%w: %d attention heads not a multiple of %d key/value heads", ErrConfig, c.Heads, c.KVHeads)
	}
	if !(c.NormEps >= 0) {
		return fmt.Errorf("%w: norm epsilon %g", ErrConfig, c.NormEps)
	}
	switch c.family() {
	case gpt2Family:
		if c.Hidden != c.Heads*c.HeadDim {
			return fmt.Errorf("%w: n_embd %d is not n_head %d × head size %d", ErrConfig, c.Hidden, c.Heads, c.HeadDim)
		}
	case llamaFamily:
		if err := c.validateRope(); err != nil {
			return err
		}
	}
	if c.SlidingWindow < 0 {
		return fmt.Errorf("%w: sliding_window %d", ErrConfig, c.SlidingWindow)
	}
	if c.SlidingLayers != nil && len(c.SlidingLayers) != c.Layers {
		return fmt.Errorf("%w: sliding-window flags for %d layers, model has %d", ErrConfig, len(c.SlidingLayers), c.Layers)
	}
	for _, v := range []struct {
		x    float64
		name string
	}{{c.QueryPreAttnScalar, "query_pre_attn_scalar"}, {c.AttnSoftcap, "attn_logit_softcapping"}, {c.FinalSoftcap, "final_logit_softcapping"}} {
		if v.x != 0 && !positive(v.x) {
			return fmt.Errorf("%w: %s %g", ErrConfig, v.name, v.x)
		}
	}
	if _, ok := activations[c.Activation]; !ok {
		return fmt.Errorf("%w: activation %q", ErrUnsupported, c.Activation)
	}
	return nil
}

// validateRope checks the rotary embedding of a llama-family config.
func (c *Config) validateRope() error {
	if c.RotaryDim%2 != 0 || c.RotaryDim <= 0 || c.RotaryDim > c.HeadDim {
		return fmt.Errorf("%w: rotary dimension %d of head_dim %d; rotary embeddings need pairs", ErrConfig, c.RotaryDim, c.HeadDim)
	}
	if !positive(c.RopeTheta) {
		return fmt.Errorf("%w: rope_theta %g", ErrConfig, c.RopeTheta)
	}
	if c.LocalRopeTheta != 0 && !positive(c.LocalRopeTheta) {
		return fmt.Errorf("%w: local rope_theta %g", ErrConfig, c.LocalRopeTheta)
	}
	if c.LocalRopeScaling != nil && c.LocalRopeTheta == 0 {
		return fmt.Errorf("%w: local RoPE scaling without a local rope_theta", ErrConfig)
	}
	for _, s := range []*RopeScaling{c.RopeScaling, c.LocalRopeScaling} {
		if s == nil {
			continue
		}
		if err := s.validate(); err != nil {
			return err
		}
		if s.Type == "longrope" && (len(s.ShortFactor) != c.RotaryDim/2 || len(s.LongFactor) != c.RotaryDim/2) {
			return fmt.Errorf("%w: rope_scaling longrope has %d short and %d long factors for %d rotary frequencies",
				ErrConfig, len(s.ShortFactor), len(s.LongFactor), c.RotaryDim/2)
		}
	}
	return nil
}

// parseRopeScaling reads rope_scaling; null and "default" mean none.
// transformers spells the kind "rope_type" now and "type" in older configs,
// where Phi-3's LongRoPE was "su". maxPos and topOriginal are the config's
// max_position_embeddings and original_max_position_embeddings, which
// LongRoPE falls back on.
func parseRopeScaling(data json.RawMessage, maxPos int, topOriginal *int) (*RopeScaling, error) {
	if !present(data) {
		return nil, nil
	}
	var raw struct {
		RopeType  string    `json:"rope_type"`
		Type      string    `json:"type"`
		Factor    *float64  `json:"factor"`
		Low       *float64  `json:"low_freq_factor"`
		High      *float64  `json:"high_freq_factor"`
		Original  *int      `json:"original_max_position_embeddings"`
		Short     []float64 `json:"short_factor"`
		Long      []float64 `json:"long_factor"`
		Attention *float64  `json:"attention_factor"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%w: rope_scaling: %v", ErrConfig, err)
	}
	kind := cmp.Or(raw.RopeType, raw.Type)
	missing := func(field string) error {
		return fmt.Errorf("%w: rope_scaling %q lacks %s", ErrConfig, kind, field)
	}
	switch kind {
	case "", "default":
		return nil, nil
	case "su":
		kind = "longrope"
	case "linear", "llama3", "longrope":
	default:
		return nil, fmt.Errorf("%w: rope_scaling type %q (supported: %s)", ErrUnsupported, kind, ropeKinds)
	}
	s := &RopeScaling{Type: kind}
	switch kind {
	case "linear", "llama3":
		if raw.Factor == nil {
			return nil, missing("factor")
		}
		s.Factor = *raw.Factor
	}
	if kind == "llama3" {
		if raw.Low == nil || raw.High == nil || raw.Original == nil {
			return nil, missing("low_freq_factor, high_freq_factor or original_max_position_embeddings")
		}
		s.LowFreqFactor, s.HighFreqFactor, s.OriginalMaxPositions = *raw.Low, *raw.High, *raw.Original
	}
	if kind == "longrope" {
		original := cmp.Or(raw.Original, topOriginal)
		if raw.Short == nil || raw.Long == nil || original == nil {
			return nil, missing("short_factor, long_factor or original_max_position_embeddings")
		}
		s.ShortFactor, s.LongFactor, s.OriginalMaxPositions = raw.Short, raw.Long, *original
		s.Factor = or(raw.Factor, float64(maxPos)/float64(*original))
		s.AttentionFactor = or(raw.Attention, longRopeAttention(s.Factor, *original))
	}
	return s, s.validate()
}

// ropeKinds lists the rope_scaling types this package implements.
const ropeKinds = "linear, llama3, longrope"

// longRopeAttention is LongRoPE's default attention factor for contexts
// stretched by factor beyond original: sqrt(1 + ln factor / ln original).
func longRopeAttention(factor float64, original int) float64 {
	if factor <= 1 || original <= 1 {
		return 1
	}
	return math.Sqrt(1 + math.Log(factor)/math.Log(float64(original)))
}

func (s *RopeScaling) validate() error {
	switch s.Type {
	case "linear":
	case "llama3":
		if !(s.HighFreqFactor > s.LowFreqFactor) || !(s.LowFreqFactor > 0) || s.OriginalMaxPositions <= 0 {
			return fmt.Errorf("%w: rope_scaling llama3 needs 0 < low_freq_factor < high_freq_factor and original_max_position_embeddings > 0", ErrConfig)
		}
	case "longrope":
		if s.OriginalMaxPositions <= 0 || !positive(s.AttentionFactor) {
			return fmt.Errorf("%w: rope_scaling longrope needs original_max_position_embeddings > 0 and a positive attention_factor", ErrConfig)
		}
		for _, f := range append(slices.Clip(s.ShortFactor), s.LongFactor...) {
			if !positive(f) {
				return fmt.Errorf("%w: rope_scaling longrope factor %g", ErrConfig, f)
			}
		}
	default:
		return fmt.Errorf("%w: rope_scaling type %q (supported: %s)", ErrUnsupported, s.Type, ropeKinds)
	}
	if !positive(s.Factor) {
		return fmt.Errorf("%w: rope_scaling factor %g", ErrConfig, s.Factor)
	}
	return nil
}

// positive reports whether x is a positive finite number.
func positive(x float64) bool { return x > 0 && !math.IsInf(x, 0) }

// A field is a config.json integer the model cannot do without.
type field struct {
	p    *int
	name string
}

func required(fields ...field) error {
	for _, f := range fields {
		if f.p == nil {
			return fmt.Errorf("%w: %s missing", ErrConfig, f.name)
		}
	}
	return nil
}

// nullable reads a config.json value that transformers defaults when
// absent and that null switches off.
func nullable[T any](raw json.RawMessage, ifAbsent, ifNull T) (T, error) {
	if len(raw) == 0 {
		return ifAbsent, nil
	}
	if string(raw) == "null" {
		return ifNull, nil
	}
	var v T
	err := json.Unmarshal(raw, &v)
	return v, err
}

// or returns *p, or def when the field is absent or null.
func or[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
