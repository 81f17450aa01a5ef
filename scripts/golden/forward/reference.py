"""Straightforward PyTorch implementations of the decoder architectures that
transplant's forward pass supports, written from the published model
definitions (no transformers import). Used to make golden logits and as the
side-by-side speed reference in bench/forward.

Tensor names and math follow transformers' LlamaForCausalLM,
MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Phi3ForCausalLM,
GemmaForCausalLM, Gemma2ForCausalLM, Gemma3ForCausalLM and GPT2LMHeadModel.
"""

import json
import math
import struct

import numpy as np
import torch


# ---------------------------------------------------------------- safetensors

_DTYPES = {"F32": np.float32, "F16": np.float16}


def read_safetensors(path):
    """Returns {name: float32 torch tensor}; handles F32, F16 and BF16."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        raw = data[a:b]
        if info["dtype"] == "BF16":
            u16 = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = u16.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=_DTYPES[info["dtype"]]).astype(np.float32)
        out[name] = torch.from_numpy(arr.reshape(info["shape"]).copy())
    return out


def write_safetensors(path, tensors):
    """Writes {name: float32 numpy array} as an F32 safetensors file."""
    header, blobs, off = {}, [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name], dtype="<f4")
        blob = arr.tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape),
                        "data_offsets": [off, off + len(blob)]}
        blobs.append(blob)
        off += len(blob)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for blob in blobs:
            f.write(blob)


# ---------------------------------------------------------------- building blocks

def rms_norm(x, w, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = (x - mu).pow(2).mean(-1, keepdim=True)
    return (x - mu) * torch.rsqrt(var + eps) * w + b


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def gelu_erf(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


ACTIVATIONS = {
    "silu": torch.nn.functional.silu,
    "swish": torch.nn.functional.silu,
    "gelu_new": gelu_new,
    "gelu_pytorch_tanh": gelu_new,
    "gelu": gelu_erf,
    "relu": torch.relu,
}


def rope_inv_freq(cfg, rot_dim, seq_len):
    """Inverse frequencies of the rotary embedding over the first rot_dim
    dimensions of a head, with rope_scaling applied, and the factor that
    multiplies cos and sin. LongRoPE picks its factors by the length of the
    sequence: long ones once it exceeds the original context."""
    theta = cfg.get("rope_theta", 10000.0)
    inv = 1.0 / (theta ** (np.arange(0, rot_dim, 2, dtype=np.float64) / rot_dim))
    sc = cfg.get("rope_scaling")
    kind = None if sc is None else sc.get("rope_type", sc.get("type"))
    if kind in (None, "default"):
        return inv, 1.0
    if kind == "linear":
        return inv / sc["factor"], 1.0
    if kind == "llama3":
        factor, lo, hi = sc["factor"], sc["low_freq_factor"], sc["high_freq_factor"]
        old = sc["original_max_position_embeddings"]
        out = []
        for f in inv:
            wavelen = 2 * math.pi / f
            if wavelen < old / hi:
                out.append(f)
            elif wavelen > old / lo:
                out.append(f / factor)
            else:
                s = (old / wavelen - lo) / (hi - lo)
                out.append((1 - s) * f / factor + s * f)
        return np.array(out), 1.0
    if kind in ("longrope", "su"):
        # LongRoPE (arXiv 2402.13753) as Phi-3 uses it.
        old = sc.get("original_max_position_embeddings") or cfg["original_max_position_embeddings"]
        stretch = sc.get("factor") or cfg["max_position_embeddings"] / old
        att = sc.get("attention_factor")
        if att is None:
            att = 1.0 if stretch <= 1 else math.sqrt(1 + math.log(stretch) / math.log(old))
        ext = np.array(sc["long_factor"] if seq_len > old else sc["short_factor"], dtype=np.float64)
        return inv / ext, att
    raise ValueError("unsupported rope_scaling %r" % kind)


def rope(x, pos, inv_freq, scale=1.0):
    """Rotate-half rotary embedding of the first 2·len(inv_freq) dimensions
    of each head; the rest pass through. x is (T, heads, head_dim)."""
    ang = torch.outer(pos, inv_freq)                      # (T, rot/2)
    cos = (torch.cat([ang.cos(), ang.cos()], -1) * scale)[:, None, :]
    sin = (torch.cat([ang.sin(), ang.sin()], -1) * scale)[:, None, :]
    rot_dim = 2 * inv_freq.shape[0]
    xr, rest = x[..., :rot_dim], x[..., rot_dim:]
    half = rot_dim // 2
    turned = torch.cat([-xr[..., half:], xr[..., :half]], -1)
    return torch.cat([xr * cos + turned * sin, rest], -1)


def softcap(x, cap):
    """Gemma 2's soft bound of x to (-cap, cap)."""
    return cap * torch.tanh(x / cap)


def attention(q, k, v, scale, window=None, cap=None):
    """Causal attention; q (T, H, d), k/v (T, Hkv, d) with Hkv dividing H.
    A query sees at most window keys, itself included; cap soft-caps the
    scaled scores."""
    T, H, _ = q.shape
    rep = H // k.shape[1]
    k = k.repeat_interleave(rep, dim=1)
    v = v.repeat_interleave(rep, dim=1)
    s = torch.einsum("ihd,jhd->hij", q, k) * scale
    if cap:
        s = softcap(s, cap)
    i = torch.arange(T)[:, None]
    j = torch.arange(T)[None, :]
    masked = j > i
    if window is not None:
        masked = masked | (j <= i - window)
    s = s.masked_fill(masked, float("-inf"))
    p = torch.softmax(s, dim=-1)
    return torch.einsum("hij,jhd->ihd", p, v).reshape(T, -1)


# ---------------------------------------------------------------- architectures

def llama_family(cfg, w, ids, dtype=torch.float64):
    """Llama, Mistral, Qwen2, Qwen3, Phi-3, Gemma, Gemma 2 and Gemma 3 share
    this body; they differ in attention biases, q/k norms, fused
    projections, partial rotary embeddings, the sliding window, Gemma's norms
    and embedding scale, Gemma 2's extra norms and soft-capping, Gemma 3's
    second rotary embedding for sliding-window layers, and defaults."""
    mt = cfg["model_type"]
    W = {k: v.to(dtype) for k, v in w.items()}
    H = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    gemma3 = mt == "gemma3_text"
    nkv = cfg.get("num_key_value_heads") or (4 if gemma3 else nh)
    gemma2 = mt == "gemma2" or gemma3  # Gemma 3 keeps Gemma 2's layer
    gemma = mt == "gemma" or gemma2
    hd = cfg.get("head_dim") or (256 if gemma else H // nh)
    eps = cfg["rms_norm_eps"]
    if gemma2:
        # Gemma 2 and 3 read hidden_activation.
        act = ACTIVATIONS[cfg.get("hidden_activation") or "gelu_pytorch_tanh"]
    elif gemma:
        # Gemma reads hidden_act, as transformers has since 4.48 (4.38.2 to
        # 4.47 ignored it for the tanh approximation).
        act = ACTIVATIONS[cfg.get("hidden_act") or "gelu_pytorch_tanh"]
    else:
        act = ACTIVATIONS[cfg.get("hidden_act", "silu")]
    window = None
    if mt in ("mistral", "phi3", "gemma2", "gemma3_text"):
        window = cfg.get("sliding_window", None if mt == "phi3" else 4096)
    scale = hd ** -0.5
    att_cap = final_cap = None
    if gemma2:
        scale = cfg.get("query_pre_attn_scalar", 256) ** -0.5
        # Gemma 2 caps by default, Gemma 3 only when asked.
        att_cap = cfg.get("attn_logit_softcapping", None if gemma3 else 50.0)
        final_cap = cfg.get("final_logit_softcapping", None if gemma3 else 30.0)
    L = cfg["num_hidden_layers"]
    if gemma2:
        # Without layer_types, Gemma 2 makes every 2nd layer global and
        # Gemma 3 every sliding_window_pattern-th (6 by default); the rest
        # see only the window.
        every = cfg.get("sliding_window_pattern", 6) if gemma3 else 2
        types = cfg.get("layer_types") or ["sliding_attention" if (l + 1) % every else "full_attention"
                                           for l in range(L)]
    T = len(ids)
    rot_dim = int(hd * cfg.get("partial_rotary_factor", 1.0))
    pos = torch.arange(T, dtype=dtype)
    if gemma3:
        # Global layers: rope_theta (default 1e6) and rope_scaling; sliding
        # layers: rope_local_base_freq (default 1e4), never scaled.
        rope_cfgs = {"full_attention": dict(cfg, rope_theta=cfg.get("rope_theta", 1e6)),
                     "sliding_attention": dict(cfg, rope_theta=cfg.get("rope_local_base_freq", 1e4),
                                               rope_scaling=None)}
    else:
        rope_cfgs = {"full_attention": cfg, "sliding_attention": cfg}
    ropes = {}
    for kind, rc in rope_cfgs.items():
        inv, rope_scale = rope_inv_freq(rc, rot_dim, T)
        ropes[kind] = (torch.tensor(inv, dtype=dtype), rope_scale)

    def lin(x, name):
        y = x @ W[name + ".weight"].T
        if name + ".bias" in W:
            y = y + W[name + ".bias"]
        return y

    def norm(x, name):
        # Gemma stores its RMSNorm weights as offsets from one.
        wn = W[name] + 1 if gemma else W[name]
        return rms_norm(x, wn, eps)

    x = W["model.embed_tokens.weight"][ids]
    if gemma3:
        # Gemma 3 keeps sqrt(hidden_size) in a float32 buffer, then casts it
        # to the run's dtype.
        x = x * torch.tensor(math.sqrt(H), dtype=torch.float32).to(dtype)
    elif gemma:
        # transformers holds sqrt(hidden_size) in the run's dtype.
        x = x * torch.tensor(math.sqrt(H), dtype=dtype)
    for l in range(L):
        p = "model.layers.%d." % l
        h = norm(x, p + "input_layernorm.weight")
        if mt == "phi3":
            q, k, v = lin(h, p + "self_attn.qkv_proj").split([nh * hd, nkv * hd, nkv * hd], -1)
        else:
            q, k, v = (lin(h, p + "self_attn.%s_proj" % n) for n in "qkv")
        q, k, v = q.reshape(T, nh, hd), k.reshape(T, nkv, hd), v.reshape(T, nkv, hd)
        if mt == "qwen3":
            q = rms_norm(q, W[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, W[p + "self_attn.k_norm.weight"], eps)
        if gemma3:
            q = norm(q, p + "self_attn.q_norm.weight")
            k = norm(k, p + "self_attn.k_norm.weight")
        kind = types[l] if gemma2 else "full_attention"
        inv, rope_scale = ropes[kind]
        q, k = rope(q, pos, inv, rope_scale), rope(k, pos, inv, rope_scale)
        w = window
        if gemma2 and kind == "full_attention":
            w = None
        a = lin(attention(q, k, v, scale, w, att_cap), p + "self_attn.o_proj")
        if gemma2:
            x = x + norm(a, p + "post_attention_layernorm.weight")
            h = norm(x, p + "pre_feedforward_layernorm.weight")
        else:
            x = x + a
            h = norm(x, p + "post_attention_layernorm.weight")
        if mt == "phi3":
            gate, up = lin(h, p + "mlp.gate_up_proj").chunk(2, -1)
        else:
            gate, up = lin(h, p + "mlp.gate_proj"), lin(h, p + "mlp.up_proj")
        m = lin(act(gate) * up, p + "mlp.down_proj")
        x = x + (norm(m, p + "post_feedforward_layernorm.weight") if gemma2 else m)
    x = norm(x, "model.norm.weight")
    tied = cfg.get("tie_word_embeddings", gemma)
    head = W["model.embed_tokens.weight"] if tied else W["lm_head.weight"]
    out = x @ head.T
    return softcap(out, final_cap) if final_cap else out


def gpt2(cfg, w, ids, dtype=torch.float64):
    """GPT-2: learned positions, LayerNorm, Conv1D weights stored (in, out)."""
    pre = "transformer." if "transformer.wte.weight" in w else ""
    W = {k[len(pre):] if k.startswith(pre) else k: v.to(dtype) for k, v in w.items()}
    E, nh = cfg["n_embd"], cfg["n_head"]
    hd = E // nh
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    act = ACTIVATIONS[cfg.get("activation_function", "gelu_new")]
    T = len(ids)

    def conv1d(x, name):
        return x @ W[name + ".weight"] + W[name + ".bias"]

    x = W["wte.weight"][ids] + W["wpe.weight"][:T]
    for l in range(cfg["n_layer"]):
        p = "h.%d." % l
        h = layer_norm(x, W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        q, k, v = conv1d(h, p + "attn.c_attn").split(E, dim=-1)
        scale = hd ** -0.5 if cfg.get("scale_attn_weights", True) else 1.0
        if cfg.get("scale_attn_by_inverse_layer_idx", False):
            scale /= l + 1
        a = attention(q.reshape(T, nh, hd), k.reshape(T, nh, hd), v.reshape(T, nh, hd), scale)
        x = x + conv1d(a, p + "attn.c_proj")
        h = layer_norm(x, W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        x = x + conv1d(act(conv1d(h, p + "mlp.c_fc")), p + "mlp.c_proj")
    x = layer_norm(x, W["ln_f.weight"], W["ln_f.bias"], eps)
    tied = cfg.get("tie_word_embeddings", True)
    head = W["wte.weight"] if tied else W["lm_head.weight"]
    return x @ head.T


def logits(cfg, weights, ids, dtype=torch.float64):
    """Logits (T, vocab) of the model described by cfg for the id sequence."""
    ids = torch.as_tensor(ids, dtype=torch.long)
    if cfg["model_type"] == "gpt2":
        return gpt2(cfg, weights, ids, dtype)
    if cfg["model_type"] in ("llama", "mistral", "qwen2", "qwen3", "phi3", "gemma", "gemma2", "gemma3_text"):
        return llama_family(cfg, weights, ids, dtype)
    raise ValueError("unsupported model_type %r" % cfg["model_type"])
