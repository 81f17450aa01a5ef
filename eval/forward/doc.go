// Package forward runs decoder-only transformers in float32: the forward
// pass that eval scores text with.
//
// It covers the architectures people transplant: Llama (with grouped-query
// attention, attention/MLP biases and "linear" or "llama3" RoPE scaling),
// Mistral (sliding-window attention), Qwen2 (q/k/v biases), Qwen3 (per-head
// q/k RMSNorm, head_dim independent of the hidden size), Phi-3 (fused q/k/v
// and gate/up projections, partial rotary embeddings, LongRoPE, sliding
// window), Gemma (embeddings scaled by sqrt(hidden_size), RMSNorm weights
// applied as 1 + w, tanh GELU), Gemma 2 (Gemma plus norms after attention
// and around the MLP, soft-capped attention scores and logits,
// query_pre_attn_scalar, sliding window on alternate layers), Gemma 3 text
// (Gemma 2's layer with per-head q/k norms, no soft-capping by default, five
// sliding-window layers to each global one, and a second rotary embedding
// for the sliding-window layers; rope_parameters per layer type as
// transformers 5 writes them) and GPT-2 (learned positions, LayerNorm,
// Conv1D weights). Each is one row of an architecture table; the math
// follows transformers' *ForCausalLM classes. The multimodal Gemma 3
// (Gemma3ForConditionalGeneration) is refused.
//
// The pieces fit like this:
//
//	cfg, err := forward.ReadConfig(dir + "/config.json") // hyper-parameters, transformers' defaults
//	m, err := forward.New(cfg, weights)                  // weights: any Source, e.g. *checkpoint.Model
//	err = m.NLL(nll, ids, targets)                       // per-position negative log-likelihood
//	err = m.Logits(logits, ids)                          // or the full logits of a window
//
// A Model is immutable once built and safe for concurrent use; callers
// parallelize over windows. Matrix products go through internal/fastblas
// (pure Go, or OpenBLAS with the openblas build tag). NLL computes the
// output head a block of rows at a time and reduces each row to its
// log-sum-exp at once, so memory stays bounded for any window and vocabulary.
package forward
