#!/usr/bin/python3
"""Write a random-weight Llama checkpoint (vocab 128256, hidden 4096, one
layer, BF16 safetensors, untied lm_head) into DIR, tensor by tensor.

    /usr/bin/python3 genmodel.py DIR

Weights are N(0, 0.02) (norm weights 1), seed 0. The safetensors file is
written by hand: 8-byte little-endian header length, JSON header, data.
Only config.json, generation_config.json and model.safetensors are written;
the caller adds the tokenizer files.
"""
import json
import os
import struct
import sys

import numpy as np

VOCAB, HIDDEN, INTER = 128256, 4096, 14336
HEADS, KV_HEADS, HEAD_DIM = 32, 8, 128
CHUNK = 1 << 24  # elements generated at a time (64 MiB of float32)


def tensors():
    """(name, shape, std or None for ones), in file order."""
    yield "model.embed_tokens.weight", (VOCAB, HIDDEN), 0.02
    p = "model.layers.0."
    yield p + "input_layernorm.weight", (HIDDEN,), None
    yield p + "self_attn.q_proj.weight", (HEADS * HEAD_DIM, HIDDEN), 0.02
    yield p + "self_attn.k_proj.weight", (KV_HEADS * HEAD_DIM, HIDDEN), 0.02
    yield p + "self_attn.v_proj.weight", (KV_HEADS * HEAD_DIM, HIDDEN), 0.02
    yield p + "self_attn.o_proj.weight", (HIDDEN, HEADS * HEAD_DIM), 0.02
    yield p + "post_attention_layernorm.weight", (HIDDEN,), None
    yield p + "mlp.gate_proj.weight", (INTER, HIDDEN), 0.02
    yield p + "mlp.up_proj.weight", (INTER, HIDDEN), 0.02
    yield p + "mlp.down_proj.weight", (HIDDEN, INTER), 0.02
    yield "model.norm.weight", (HIDDEN,), None
    yield "lm_head.weight", (VOCAB, HIDDEN), 0.02


def bf16(x):
    """float32 array -> uint16 BF16 bits, round to nearest even."""
    u = x.astype(np.float32).view(np.uint32)
    u = u + np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1))
    return (u >> np.uint32(16)).astype(np.uint16)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": VOCAB,
        "hidden_size": HIDDEN,
        "intermediate_size": INTER,
        "num_hidden_layers": 1,
        "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS,
        "head_dim": HEAD_DIM,
        "hidden_act": "silu",
        "max_position_embeddings": 2048,
        "initializer_range": 0.02,
        "rms_norm_eps": 1e-05,
        "rope_theta": 500000.0,
        "rope_scaling": None,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "mlp_bias": False,
        "pretraining_tp": 1,
        "tie_word_embeddings": False,
        "bos_token_id": 128000,
        "eos_token_id": 128001,
        "use_cache": True,
        "torch_dtype": "bfloat16",
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 128000, "eos_token_id": 128001}, f, indent=2)

    header, off = {}, 0
    specs = list(tensors())
    for name, shape, _ in specs:
        n = int(np.prod(shape)) * 2
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [off, off + n]}
        off += n
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    rng = np.random.default_rng(0)
    with open(os.path.join(out, "model.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for name, shape, std in specs:
            total = int(np.prod(shape))
            if std is None:
                f.write(bf16(np.ones(total, np.float32)).tobytes())
                continue
            for start in range(0, total, CHUNK):
                n = min(CHUNK, total - start)
                x = rng.standard_normal(n, dtype=np.float32)
                x *= np.float32(std)
                f.write(bf16(x).tobytes())
    print(f"wrote {out}/model.safetensors ({off / 2**30:.2f} GiB of tensors)", file=sys.stderr)


if __name__ == "__main__":
    main()
