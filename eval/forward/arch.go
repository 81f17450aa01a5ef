package forward

// family is the shape of the transformer body; the architectures of one
// family differ only in the switches of their architecture entry.
type family int

const (
	// llamaFamily: RMSNorm before attention and MLP, rotary positions,
	// gated MLP (down(act(gate(x)) · up(x))), nn.Linear weights (out, in).
	llamaFamily family = iota
	// gpt2Family: LayerNorm, learned positions, ungated MLP, Conv1D
	// weights stored (in, out), fused q/k/v projection.
	gpt2Family
)

// biasRule says which attention projections carry a bias.
type biasRule int

const (
	biasNone       biasRule = iota // never (Mistral, Phi-3)
	biasFromConfig                 // q, k, v and o when attention_bias is true (Llama, Qwen3, Gemma)
	biasQKV                        // always on q, k and v, never on o (Qwen2)
)

// An architecture is one row of the table below: everything that tells one
// model_type's math apart from another's. What a model_type is called as a
// class, where its embedding and head are and whether they are tied come
// from package checkpoint's architecture table, which must have a row for
// every model_type here. Supporting a new model_type means adding a row to
// each, not scattering string checks.
type architecture struct {
	family      family
	bias        biasRule // attention projection biases
	mlpBias     bool     // mlp_bias in config.json is honoured
	qkNorm      bool     // RMSNorm over each head of q and k before RoPE (Qwen3, Gemma 3)
	window      bool     // sliding_window applies whenever set (Mistral, Phi-3)
	windowOptIn bool     // sliding_window applies only with use_sliding_window (Qwen2/3): unsupported
	// fused: q/k/v live in one self_attn.qkv_proj and gate/up in one
	// mlp.gate_up_proj, rows in that order (Phi-3).
	fused bool
	// partialRotary: partial_rotary_factor is honoured, RoPE turning only
	// the leading dimensions of each head (Phi-3).
	partialRotary bool
	// gemma: embeddings scaled by sqrt(hidden_size), RMSNorm weights
	// applied as (1 + w).
	gemma bool
	// gemma2: Gemma plus the activation read from hidden_activation, norms
	// after attention and around the MLP, query_pre_attn_scalar, tanh
	// soft-capping of attention scores and logits (attnCapDefault and
	// finalCapDefault when absent; 0: none), and the sliding window on the
	// layers layer_types names or, without it, on all but every
	// globalEvery-th layer.
	gemma2                          bool
	attnCapDefault, finalCapDefault float64
	globalEvery                     int
	// gemma3: Gemma 2 plus sliding_window_pattern for globalEvery, a rotary
	// embedding of its own for sliding-window layers (base
	// rope_local_base_freq, localThetaDefault when absent) and rope_parameters
	// per layer type.
	gemma3            bool
	localThetaDefault float64
	thetaDefault      float64 // rope_theta when absent; 0: 10000
	// sizes fills in the sizes config.json leaves out, as config classes
	// with defaults for every size do (Gemma3TextConfig); nil: they are
	// required.
	sizes      *sizeDefaults
	epsDefault float64 // rms_norm_eps / layer_norm_epsilon when absent
	actDefault string  // hidden_act / activation_function when absent
	bosDefault int     // bos_token_id when absent; -1: none
	// sliding_window when absent (Mistral); null, or 0 here, means no window.
	windowDefault int
	// head_dim and num_key_value_heads when absent; 0: hidden_size /
	// num_attention_heads and num_attention_heads.
	headDimDefault, kvHeadsDefault int
}

// sizeDefaults are a config class's defaults for the model's sizes.
type sizeDefaults struct {
	vocab, hidden, intermediate, layers, heads, maxPositions int
}

// architectures maps config.json's model_type to its architecture.
var architectures = map[string]architecture{
	"llama": {family: llamaFamily, bias: biasFromConfig, mlpBias: true,
		epsDefault: 1e-6, actDefault: "silu", bosDefault: 1},
	"mistral": {family: llamaFamily, bias: biasNone, window: true, windowDefault: 4096,
		epsDefault: 1e-6, actDefault: "silu", bosDefault: 1},
	"qwen2": {family: llamaFamily, bias: biasQKV, windowOptIn: true,
		epsDefault: 1e-6, actDefault: "silu", bosDefault: -1},
	"qwen3": {family: llamaFamily, bias: biasFromConfig, qkNorm: true, windowOptIn: true,
		epsDefault: 1e-6, actDefault: "silu", bosDefault: -1},
	"phi3": {family: llamaFamily, bias: biasNone, window: true, fused: true, partialRotary: true,
		epsDefault: 1e-5, actDefault: "silu", bosDefault: 1},
	"gemma": {family: llamaFamily, bias: biasFromConfig, gemma: true,
		epsDefault: 1e-6, actDefault: "gelu_pytorch_tanh", bosDefault: 2,
		headDimDefault: 256, kvHeadsDefault: 16},
	"gemma2": {family: llamaFamily, bias: biasFromConfig, gemma: true, gemma2: true,
		attnCapDefault: 50, finalCapDefault: 30, globalEvery: 2,
		window: true, windowDefault: 4096, epsDefault: 1e-6, actDefault: "gelu_pytorch_tanh", bosDefault: 2,
		headDimDefault: 256, kvHeadsDefault: 4},
	"gemma3_text": {family: llamaFamily, bias: biasFromConfig, gemma: true, gemma2: true, gemma3: true, qkNorm: true,
		globalEvery: 6, thetaDefault: 1e6, localThetaDefault: 1e4,
		window: true, windowDefault: 4096, epsDefault: 1e-6, actDefault: "gelu_pytorch_tanh", bosDefault: 2,
		headDimDefault: 256, kvHeadsDefault: 4,
		sizes: &sizeDefaults{vocab: 262208, hidden: 2304, intermediate: 9216, layers: 26, heads: 8, maxPositions: 131072}},
	"gpt2": {family: gpt2Family,
		epsDefault: 1e-5, actDefault: "gelu_new", bosDefault: 50256},
}
