"""Makes the golden logits for eval/forward's tests.

For each architecture it builds a small random checkpoint with a config.json
shaped like the real Hugging Face ones for that model_type, writes it as
F32 safetensors (gzipped), runs reference.py's PyTorch implementation in
float64 on a fixed id sequence and writes the logits.

    /usr/bin/python3 scripts/golden/forward/make_goldens.py

Output: eval/forward/testdata/<name>/{config.json, model.safetensors.gz,
golden.json.gz} (model.safetensors uncompressed for the tiny example model;
a second, shorter window in golden.json.gz for the cases in SHORT). The Go
tests need neither python nor torch.
"""

import gzip
import json
import os
import shutil
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                   "eval", "forward", "testdata")

VOCAB = 256
HIDDEN = 64
INTER = 128
LAYERS = 2
SEQ = 24


def llama_config(model_type, arch, **over):
    cfg = {
        "architectures": [arch],
        "model_type": model_type,
        "vocab_size": VOCAB,
        "hidden_size": HIDDEN,
        "intermediate_size": INTER,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "hidden_act": "silu",
        "max_position_embeddings": 64,
        "initializer_range": 0.02,
        "rms_norm_eps": 1e-5,
        "rope_theta": 10000.0,
        "rope_scaling": None,
        "tie_word_embeddings": False,
        "bos_token_id": 1,
        "eos_token_id": 2,
        "use_cache": True,
        "torch_dtype": "float32",
    }
    cfg.update(over)
    return cfg


# name -> config; each case adds a feature the others lack.
CASES = {
    # GQA (4 query heads over 2 key/value heads), untied head.
    "llama": llama_config("llama", "LlamaForCausalLM", attention_bias=False, mlp_bias=False),
    # Llama 3.1-style RoPE scaling, biases on every projection, tied head, no GQA.
    "llama3-scaled": llama_config(
        "llama", "LlamaForCausalLM", num_key_value_heads=4, attention_bias=True, mlp_bias=True,
        tie_word_embeddings=True, rope_theta=500000.0,
        # original 64 / high 8 / low 1 puts head_dim 16's frequencies in all
        # three bands: kept, smoothed, divided by the factor.
        rope_scaling={"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 8.0,
                      "original_max_position_embeddings": 64, "rope_type": "llama3"}),
    # Sliding-window attention shorter than the sequence, linear RoPE scaling
    # in the old "type" spelling, head_dim given as null.
    "mistral": llama_config(
        "mistral", "MistralForCausalLM", sliding_window=5, head_dim=None,
        rope_scaling={"type": "linear", "factor": 2.0}),
    # Biases on q/k/v only, tied head, Qwen's large rope_theta.
    "qwen2": llama_config(
        "qwen2", "Qwen2ForCausalLM", rms_norm_eps=1e-6, rope_theta=1000000.0,
        tie_word_embeddings=True, use_sliding_window=False, sliding_window=32768,
        max_window_layers=2, bos_token_id=None, eos_token_id=0),
    # q/k RMSNorm per head, head_dim (24) != hidden/heads (16), untied.
    "qwen3": llama_config(
        "qwen3", "Qwen3ForCausalLM", head_dim=24, rms_norm_eps=1e-6, rope_theta=1000000.0,
        attention_bias=False, use_sliding_window=False, sliding_window=None),
    # GPT-2 as on the Hub: no "transformer." prefix, tied head, gelu_new.
    "gpt2": {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": VOCAB,
        "n_embd": HIDDEN, "n_head": 4, "n_layer": LAYERS, "n_positions": 32, "n_ctx": 32,
        "n_inner": None, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
        "resid_pdrop": 0.1, "embd_pdrop": 0.1, "attn_pdrop": 0.1, "initializer_range": 0.02,
        "scale_attn_weights": True, "scale_attn_by_inverse_layer_idx": False,
        "reorder_and_upcast_attn": False, "bos_token_id": 255, "eos_token_id": 255,
        "torch_dtype": "float32"},
    # GPT-2 as saved by recent transformers: "transformer." prefix, lm_head
    # stored as well, erf gelu, attention scaled by the inverse layer index.
    "gpt2-prefixed": {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": VOCAB,
        "n_embd": HIDDEN, "n_head": 2, "n_layer": LAYERS, "n_positions": 32, "n_inner": 96,
        "activation_function": "gelu", "layer_norm_epsilon": 1e-5,
        "scale_attn_by_inverse_layer_idx": True, "bos_token_id": 255, "eos_token_id": 255,
        "torch_dtype": "float32"},
    # A very small byte-level Llama stored uncompressed, for the Example
    # functions (ids are bytes, so no tokenizer is needed).
    "tiny": llama_config("llama", "LlamaForCausalLM", hidden_size=16, intermediate_size=32,
                         num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1),
    # Phi-3: fused qkv_proj and gate_up_proj, RoPE on 12 of 16 head
    # dimensions (partial_rotary_factor, as in Phi-4-mini), a sliding window
    # shorter than the sequence.
    "phi3": llama_config("phi3", "Phi3ForCausalLM", partial_rotary_factor=0.75, sliding_window=7,
                         original_max_position_embeddings=64, resid_pdrop=0.0, embd_pdrop=0.0,
                         attention_dropout=0.0, pad_token_id=32000, eos_token_id=32000),
    # Phi-3 LongRoPE in the old "su" spelling: the 24-id golden is past
    # original_max_position_embeddings (16), so it takes the long factors;
    # its 16-id short window takes the short ones. Both get the attention
    # factor sqrt(1 + ln(64/16) / ln 16). Tied head, sliding_window null.
    "phi3-longrope": llama_config("phi3", "Phi3ForCausalLM", num_key_value_heads=4, sliding_window=None,
                                  original_max_position_embeddings=16, tie_word_embeddings=True,
                                  rope_scaling={"type": "su", "short_factor": None, "long_factor": None}),
    # Gemma 1.0 as first published: hidden_act "gelu", which transformers
    # 4.48 and later apply (exact GELU), no hidden_activation. Multi-query
    # attention, head_dim 24 != hidden/heads, tie_word_embeddings and
    # bos_token_id left to their defaults (tied, 2).
    "gemma": {
        "architectures": ["GemmaForCausalLM"], "model_type": "gemma", "vocab_size": VOCAB,
        "hidden_size": HIDDEN, "intermediate_size": INTER, "num_hidden_layers": LAYERS,
        "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 24, "hidden_act": "gelu",
        "max_position_embeddings": 64, "initializer_range": 0.02, "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0, "rope_scaling": None, "attention_bias": False, "attention_dropout": 0.0,
        "eos_token_id": 1, "pad_token_id": 0, "use_cache": True, "torch_dtype": "float32"},
    # Gemma 2: norms after attention and around the MLP, attention scores
    # capped at 5 (the real 50 would not bite on a small random model),
    # logits at the default 30, query_pre_attn_scalar != head_dim, a
    # sliding window on layers 0 and 2 of three, GQA. Defaults for
    # final_logit_softcapping, tie_word_embeddings, bos_token_id and
    # layer_types.
    "gemma2": {
        "architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "vocab_size": VOCAB,
        "hidden_size": HIDDEN, "intermediate_size": INTER, "num_hidden_layers": 3,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
        "hidden_activation": "gelu_pytorch_tanh", "hidden_act": "gelu_pytorch_tanh",
        "max_position_embeddings": 64, "initializer_range": 0.02, "rms_norm_eps": 1e-6,
        "rope_theta": 10000.0, "attention_bias": False, "attention_dropout": 0.0,
        "query_pre_attn_scalar": 24, "sliding_window": 5, "attn_logit_softcapping": 5.0,
        "cache_implementation": "hybrid",
        "eos_token_id": 1, "pad_token_id": 0, "use_cache": True, "torch_dtype": "float32"},
    # Gemma 3 text (Gemma3ForCausalLM) shaped like gemma-3-1b's config: q/k
    # norms, no soft-capping, sliding_window_pattern 3 over four layers
    # (layer 2 global, 0, 1 and 3 windowed, window 5 < 24 ids), global layers
    # rotating with the default rope_theta (1e6) scaled linearly by 8 and
    # windowed ones with rope_local_base_freq unscaled, GQA, head_dim 24 !=
    # hidden/heads, query_pre_attn_scalar != head_dim. Defaults for
    # tie_word_embeddings and bos_token_id.
    "gemma3_text": {
        "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text", "vocab_size": VOCAB,
        "hidden_size": HIDDEN, "intermediate_size": INTER, "num_hidden_layers": 4,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 24,
        "hidden_activation": "gelu_pytorch_tanh", "max_position_embeddings": 64,
        "initializer_range": 0.02, "rms_norm_eps": 1e-6, "attention_bias": False, "attention_dropout": 0.0,
        "attn_logit_softcapping": None, "final_logit_softcapping": None, "query_pre_attn_scalar": 20,
        "rope_local_base_freq": 10000.0, "rope_scaling": {"rope_type": "linear", "factor": 8.0},
        "sliding_window": 5, "sliding_window_pattern": 3, "cache_implementation": "hybrid",
        "eos_token_id": 1, "pad_token_id": 0, "use_cache": True, "torch_dtype": "float32"},
}

# Cases whose golden also holds a second, shorter window (LongRoPE's short
# factors), and its length.
SHORT = {"phi3-longrope": 16}

# Cases whose model.safetensors is written as it is rather than gzipped.
PLAIN = {"tiny"}


def bf16_round(a):
    """Rounds to bfloat16-representable values (kept as float32) so the
    gzipped checkpoints stay small; the math does not care."""
    u = np.asarray(a, dtype=np.float32).view(np.uint32)
    u = (u + 0x7FFF + ((u >> 16) & 1)) & 0xFFFF0000
    return u.view(np.float32)


def longrope_factors(cfg, rng):
    """Fills in random LongRoPE factors: short ones near 1, long ones
    growing to 8 across the frequencies, as in Phi-3's configs."""
    half = int(cfg["hidden_size"] // cfg["num_attention_heads"] * cfg.get("partial_rotary_factor", 1)) // 2
    sc = cfg["rope_scaling"]
    sc["short_factor"] = [round(float(v), 4) for v in 1 + 0.1 * rng.random(half)]
    sc["long_factor"] = [round(float(v), 4) for v in np.linspace(1, 8, half) * (1 + 0.2 * rng.random(half))]


def llama_weights(cfg, rng):
    H, nh = cfg["hidden_size"], cfg["num_attention_heads"]
    nkv = cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or H // nh
    I, V = cfg["intermediate_size"], cfg["vocab_size"]
    mt = cfg["model_type"]
    qkv_bias = mt == "qwen2" or cfg.get("attention_bias", False)
    o_bias = mt != "qwen2" and cfg.get("attention_bias", False)
    mlp_bias = cfg.get("mlp_bias", False)
    gemma = mt in ("gemma", "gemma2", "gemma3_text")
    w = {}

    def mat(name, rows, cols, bias=False):
        w[name + ".weight"] = rng.standard_normal((rows, cols)) / np.sqrt(cols)
        if bias:
            w[name + ".bias"] = 0.1 * rng.standard_normal(rows)

    def norm(name, n):
        # Gemma stores RMSNorm weights as offsets from one.
        w[name] = (0.0 if gemma else 1.0) + 0.2 * rng.standard_normal(n)

    w["model.embed_tokens.weight"] = rng.standard_normal((V, H))
    for l in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % l
        norm(p + "input_layernorm.weight", H)
        norm(p + "post_attention_layernorm.weight", H)
        if mt in ("gemma2", "gemma3_text"):
            norm(p + "pre_feedforward_layernorm.weight", H)
            norm(p + "post_feedforward_layernorm.weight", H)
        mat(p + "self_attn.q_proj", nh * hd, H, qkv_bias)
        mat(p + "self_attn.k_proj", nkv * hd, H, qkv_bias)
        mat(p + "self_attn.v_proj", nkv * hd, H, qkv_bias)
        mat(p + "self_attn.o_proj", H, nh * hd, o_bias)
        if mt in ("qwen3", "gemma3_text"):
            norm(p + "self_attn.q_norm.weight", hd)
            norm(p + "self_attn.k_norm.weight", hd)
        mat(p + "mlp.gate_proj", I, H, mlp_bias)
        mat(p + "mlp.up_proj", I, H, mlp_bias)
        mat(p + "mlp.down_proj", H, I, mlp_bias)
    norm("model.norm.weight", H)
    if not cfg.get("tie_word_embeddings", gemma):
        mat("lm_head", V, H)
    if mt == "phi3":
        fuse(w, "self_attn.qkv_proj", ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"])
        fuse(w, "mlp.gate_up_proj", ["mlp.gate_proj", "mlp.up_proj"])
    return w


def fuse(w, into, parts):
    """Stacks the rows of each layer's parts into one tensor, as Phi-3
    stores q/k/v and gate/up."""
    for name in [n for n in w if n.endswith(parts[0] + ".weight")]:
        p = name[: -len(parts[0] + ".weight")]
        w[p + into + ".weight"] = np.concatenate([w.pop(p + q + ".weight") for q in parts])


def gpt2_weights(cfg, rng, prefix):
    E, V, P = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]
    I = cfg.get("n_inner") or 4 * E
    w = {}

    def conv(name, n_in, n_out):
        w[name + ".weight"] = rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)
        w[name + ".bias"] = 0.1 * rng.standard_normal(n_out)

    def ln(name, n):
        w[name + ".weight"] = 1.0 + 0.2 * rng.standard_normal(n)
        w[name + ".bias"] = 0.1 * rng.standard_normal(n)

    w["wte.weight"] = rng.standard_normal((V, E))
    w["wpe.weight"] = 0.5 * rng.standard_normal((P, E))
    for l in range(cfg["n_layer"]):
        p = "h.%d." % l
        ln(p + "ln_1", E)
        conv(p + "attn.c_attn", E, 3 * E)
        conv(p + "attn.c_proj", E, E)
        ln(p + "ln_2", E)
        conv(p + "mlp.c_fc", E, I)
        conv(p + "mlp.c_proj", I, E)
    ln("ln_f", E)
    w = {prefix + k: v for k, v in w.items()}
    if prefix:
        w["lm_head.weight"] = w[prefix + "wte.weight"]
    return w


def main():
    import torch
    for i, (name, cfg) in enumerate(CASES.items()):
        rng = np.random.default_rng(1000 + i)
        if cfg["model_type"] == "gpt2":
            w = gpt2_weights(cfg, rng, "transformer." if name == "gpt2-prefixed" else "")
        else:
            if cfg.get("rope_scaling") and "long_factor" in cfg["rope_scaling"]:
                longrope_factors(cfg, rng)
            w = llama_weights(cfg, rng)
        w = {k: bf16_round(v) for k, v in w.items()}
        ids = [int(x) for x in rng.integers(0, cfg["vocab_size"], SEQ)]
        tw = {k: torch.from_numpy(v.copy()) for k, v in w.items()}
        out = reference.logits(cfg, tw, ids).numpy()
        short = None
        if name in SHORT:
            sids = ids[:SHORT[name]]
            short = {"ids": sids, "logits": [[float(v) for v in row]
                                              for row in reference.logits(cfg, tw, sids).numpy()]}

        d = os.path.join(OUT, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
            f.write("\n")
        with tempfile.TemporaryDirectory() as tmp:
            st = os.path.join(tmp, "model.safetensors")
            reference.write_safetensors(st, w)
            # Round trip through the file so the golden is computed from
            # exactly the bytes the Go test reads.
            back = reference.read_safetensors(st)
            again = reference.logits(cfg, back, ids).numpy()
            assert np.array_equal(out, again), name
            if name in PLAIN:
                shutil.copy(st, os.path.join(d, "model.safetensors"))
            else:
                with open(st, "rb") as src, gzip.GzipFile(
                        os.path.join(d, "model.safetensors.gz"), "wb", mtime=0) as dst:
                    shutil.copyfileobj(src, dst)
        golden = {
            "ids": ids,
            "logits": [[float(v) for v in row] for row in out],
            "generator": "scripts/golden/forward/make_goldens.py (PyTorch %s, float64)" % torch.__version__,
        }
        if short:
            golden["short"] = short
        with gzip.GzipFile(os.path.join(d, "golden.json.gz"), "wb", mtime=0) as f:
            f.write(json.dumps(golden).encode())
        print("%-14s max|logit| %.3f" % (name, np.abs(out).max()))


if __name__ == "__main__":
    main()
