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
	biasNone       biasRule = iota // never (Mistral)
	biasFromConfig                 // q, k, v and o when attention_bias is true (Llama, Qwen3)
	biasQKV                        // always on q, k and v, never on o (Qwen2)
)

// An architecture is one row of the table below: everything that tells one
// model_type's math and tensor names apart from another's. Supporting a new
// model_type means adding a row, not scattering string checks.
type architecture struct {
	family      family
	tieDefault  bool     // tie_word_embeddings when config.json leaves it out
	bias        biasRule // attention projection biases
	mlpBias     bool     // mlp_bias in config.json is honoured
	qkNorm      bool     // RMSNorm over each head of q and k before RoPE (Qwen3)
	window      bool     // sliding_window always applies (Mistral)
	windowOptIn bool     // sliding_window applies only with use_sliding_window (Qwen2/3): unsupported
	epsDefault  float64  // rms_norm_eps / layer_norm_epsilon when absent
	actDefault  string   // hidden_act / activation_function when absent
	bosDefault  int      // bos_token_id when absent; -1: none
	// sliding_window when absent (Mistral); null means no window.
	windowDefault int
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
	"gpt2": {family: gpt2Family, tieDefault: true,
		epsDefault: 1e-5, actDefault: "gelu_new", bosDefault: 50256},
}

// modelTypeOf maps the "architectures" class names of configs that lack a
// model_type to the model_type they stand for.
var modelTypeOf = map[string]string{
	"LlamaForCausalLM":   "llama",
	"MistralForCausalLM": "mistral",
	"Qwen2ForCausalLM":   "qwen2",
	"Qwen3ForCausalLM":   "qwen3",
	"GPT2LMHeadModel":    "gpt2",
}
