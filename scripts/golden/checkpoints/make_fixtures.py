#!/usr/bin/python3
"""Generate the checkpoint fixtures for safetensors/, pytorch/ and checkpoint/.

The files are written by software other than transplant: torch.save for
PyTorch checkpoints, and the small independent safetensors writer below
(struct + json + torch) for safetensors files. Next to each fixture a
*.golden.json records, for every tensor, the dtype, the shape and the values
torch widens it to (tensor.float()), as float32 bit patterns, so Go tests
compare bit for bit without python.

Run from the repository root with Debian's interpreter (torch 1.13, numpy):

    /usr/bin/python3 scripts/golden/checkpoints/make_fixtures.py

Everything is seeded; rerunning rewrites identical files, except the legacy
format's storage keys, which torch derives from memory addresses.
"""
import collections
import json
import os
import struct
import sys

import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
ST_DTYPE = {
    torch.float64: "F64", torch.float32: "F32", torch.float16: "F16",
    torch.bfloat16: "BF16", torch.int64: "I64", torch.int32: "I32",
    torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8", torch.bool: "BOOL",
}


def out(*parts):
    path = os.path.join(ROOT, *parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors, metadata=None):
    """An independent safetensors writer: tensors in dict order, no padding,
    json.dumps' default separators, metadata last."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        b = tensor_bytes(t)
        header[name] = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if metadata is not None:
        header["__metadata__"] = metadata
    hb = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hb)))
        f.write(hb)
        for b in blobs:
            f.write(b)


def f32_bits(t):
    return [v & 0xFFFFFFFF for v in t.float().contiguous().view(torch.int32).flatten().tolist()]


def golden(path, tensors):
    g = {}
    for name, t in tensors.items():
        entry = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape)}
        if t.is_floating_point():
            entry["f32_bits"] = f32_bits(t)
        else:
            entry["bytes_hex"] = tensor_bytes(t).hex()
        g[name] = entry
    with open(path, "w") as f:
        json.dump(g, f, indent=1, sort_keys=True)
        f.write("\n")


def specials(dtype):
    v = [0.0, -0.0, 1.0, -2.5, 3.140625, float("inf"), float("-inf"), float("nan")]
    if dtype == torch.float16:
        v += [65504.0, 6e-8, -6.1e-5, 1e-7]
    if dtype == torch.bfloat16:
        v += [3.0e38, 1e-39, -9.2e-41]
    return torch.tensor(v, dtype=torch.float32).to(dtype)


def base_tensors(g):
    return collections.OrderedDict([
        ("f32.matrix", torch.randn(3, 5, generator=g)),
        ("f16.matrix", torch.randn(4, 3, generator=g).half()),
        ("bf16.matrix", (torch.randn(2, 6, generator=g) * 100).bfloat16()),
        ("f64.vector", torch.randn(7, generator=g, dtype=torch.float64)),
        ("f16.specials", specials(torch.float16)),
        ("bf16.specials", specials(torch.bfloat16)),
        ("f32.scalar", torch.tensor(0.1)),
        ("f32.empty", torch.zeros(0, 4)),
        ("i64.ids", torch.arange(-3, 5, dtype=torch.int64)),
        ("bool.mask", torch.tensor([True, False, True])),
        ("u8.bytes", torch.tensor([0, 7, 255], dtype=torch.uint8)),
    ])


def safetensors_fixtures(g):
    ts = base_tensors(g)
    write_safetensors(out("safetensors", "testdata", "python.safetensors"), ts, {"format": "pt", "source": "make_fixtures.py"})
    golden(out("safetensors", "testdata", "python.golden.json"), ts)


def narrowing_fixture(g):
    """float32 inputs and torch's F16 and BF16 results, ties included."""
    bits = torch.randint(-2**31, 2**31 - 1, (2000,), generator=g, dtype=torch.int64)
    ties = []
    for hi in range(0x3F80, 0x3F90):  # halfway between two bfloat16 values
        ties.append((hi << 16) | 0x8000)
    for m in range(16):  # halfway between two float16 values near 1.0
        ties.append(0x3F800000 | (m << 13) | 0x1000)
    ties += [0x33000000, 0x33000001, 0x477FF000, 0x477FEFFF, 0x7F7FFFFF, 0x00000001, 0x80000001,
             0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001, 0x7F800001]
    xs = torch.tensor([b & 0xFFFFFFFF for b in bits.tolist()] + ties, dtype=torch.int64)
    f = xs.to(torch.int32).view(torch.float32)
    doc = {
        "f32_bits": xs.tolist(),
        "f16_bits": [v & 0xFFFF for v in f.half().view(torch.int16).tolist()],
        "bf16_bits": [v & 0xFFFF for v in f.bfloat16().view(torch.int16).tolist()],
    }
    with open(out("safetensors", "testdata", "narrow.golden.json"), "w") as fh:
        json.dump(doc, fh)
        fh.write("\n")


class Forbidden:
    """Pickles as a call to os.system: what a hostile checkpoint does."""

    def __reduce__(self):
        return (os.system, ("echo transplant-should-never-run-this",))


def pytorch_fixtures(g):
    sd = base_tensors(g)
    del sd["f32.empty"]
    big = torch.randn(4, 6, generator=g)
    sd["view.transposed"] = big.t()  # non-contiguous: strides (1, 6)
    sd["view.offset"] = big[1:3, 2:5]  # storage offset 8, strides (6, 1)
    sd["shared.a"] = big  # a, transposed and offset share one storage
    emb = torch.randn(5, 3, generator=g).bfloat16()
    sd["tied.embed"] = emb
    sd["tied.head"] = emb  # the same tensor twice, as tied weights are saved
    sd["param"] = torch.nn.Parameter(torch.randn(2, 2, generator=g).half(), requires_grad=False)
    d = os.path.dirname(out("pytorch", "testdata", "x"))
    torch.save(sd, os.path.join(d, "state.bin"))
    torch.save(sd, os.path.join(d, "state_legacy.bin"), _use_new_zipfile_serialization=False)
    torch.save(sd, os.path.join(d, "state_proto4.bin"), pickle_protocol=4)  # STACK_GLOBAL, FRAME, MEMOIZE
    golden(os.path.join(d, "state.golden.json"), sd)
    torch.save({"w": torch.ones(2), "evil": Forbidden()}, os.path.join(d, "forbidden.bin"))
    torch.save(torch.ones(3), os.path.join(d, "bare_tensor.bin"))


def llama_config(vocab, tie=None, **extra):
    c = collections.OrderedDict([
        ("architectures", ["LlamaForCausalLM"]), ("model_type", "llama"),
        ("vocab_size", vocab), ("hidden_size", 4), ("intermediate_size", 8),
        ("num_hidden_layers", 1), ("num_attention_heads", 1), ("rms_norm_eps", 1e-05),
        ("rope_scaling", None), ("bos_token_id", 1), ("eos_token_id", 2),
    ])
    if tie is not None:
        c["tie_word_embeddings"] = tie
    c["torch_dtype"] = "bfloat16"
    c.update(extra)
    return c


def llama_body(g, rows, dtype):
    return collections.OrderedDict([
        ("model.embed_tokens.weight", torch.randn(rows, 4, generator=g).to(dtype)),
        ("model.layers.0.input_layernorm.weight", torch.ones(4).to(dtype)),
        ("model.layers.0.self_attn.q_proj.weight", torch.randn(4, 4, generator=g).to(dtype)),
        ("model.layers.0.mlp.up_proj.weight", torch.randn(8, 4, generator=g).to(dtype)),
        ("model.norm.weight", torch.ones(4).to(dtype)),
        ("lm_head.weight", torch.randn(rows, 4, generator=g).to(dtype)),
    ])


def write_dir(name, config, files, tensors, extra=None):
    d = out("checkpoint", "testdata", name, "config.json")
    d = os.path.dirname(d)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
        f.write("\n")
    for fname, content in files.items():
        content(os.path.join(d, fname))
    for fname, text in (extra or {}).items():
        with open(os.path.join(d, fname), "w") as f:
            f.write(text)
    golden(os.path.join(d, "golden.json"), tensors)


def split(tensors, n):
    items = list(tensors.items())
    k = (len(items) + n - 1) // n
    return [collections.OrderedDict(items[i:i + k]) for i in range(0, len(items), k)]


def index(shards, names, total):
    wm = {}
    for part, name in zip(shards, names):
        for k in part:
            wm[k] = name
    return json.dumps({"metadata": {"total_size": total}, "weight_map": wm}, indent=2, sort_keys=True) + "\n"


TOKENIZER = json.dumps({
    "version": "1.0", "added_tokens": [
        {"id": 0, "content": "<unk>", "special": True}, {"id": 1, "content": "<s>", "special": True},
        {"id": 2, "content": "</s>", "special": True}],
    "model": {"type": "BPE", "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "a": 3, "b": 4, "ab": 5}, "merges": ["a b"]},
}, indent=1) + "\n"


def checkpoint_fixtures(g):
    # Llama, BF16, one safetensors file; 24 embedding rows for a vocab of 20.
    t = llama_body(g, 24, torch.bfloat16)
    write_dir("llama-st", llama_config(20, tie=False),
              {"model.safetensors": lambda p: write_safetensors(p, t, {"format": "pt"})}, t,
              {"tokenizer.json": TOKENIZER, "generation_config.json": '{"bos_token_id": 1}\n'})

    # The same layout in two safetensors shards, F16.
    t = llama_body(g, 20, torch.float16)
    parts = split(t, 2)
    names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    files = {n: (lambda p, part=part: write_safetensors(p, part, {"format": "pt"})) for n, part in zip(names, parts)}
    total = sum(len(tensor_bytes(x)) for x in t.values())
    write_dir("llama-st-sharded", llama_config(20, tie=False, torch_dtype="float16"), files, t,
              {"model.safetensors.index.json": index(parts, names, total)})

    # PyTorch shards, F32, with safetensors absent.
    t = llama_body(g, 20, torch.float32)
    parts = split(t, 3)
    names = ["pytorch_model-0000%d-of-00003.bin" % (i + 1) for i in range(3)]
    files = {n: (lambda p, part=part: torch.save(part, p)) for n, part in zip(names, parts)}
    total = sum(len(tensor_bytes(x)) for x in t.values())
    write_dir("llama-pt-sharded", llama_config(20, tie=False, torch_dtype="float32"), files, t,
              {"pytorch_model.bin.index.json": index(parts, names, total)})

    # GPT-2: tied by default, no lm_head stored, F32 single pytorch file.
    t = collections.OrderedDict([
        ("transformer.wte.weight", torch.randn(11, 4, generator=g)),
        ("transformer.wpe.weight", torch.randn(6, 4, generator=g)),
        ("transformer.ln_f.weight", torch.ones(4)),
    ])
    cfg = collections.OrderedDict([("architectures", ["GPT2LMHeadModel"]), ("model_type", "gpt2"),
                                   ("vocab_size", 11), ("n_embd", 4), ("n_layer", 0), ("bos_token_id", 10),
                                   ("eos_token_id", 10)])
    write_dir("gpt2-tied", cfg, {"pytorch_model.bin": lambda p: torch.save(t, p)}, t)

    # GPT-NeoX: embed_in / embed_out, untied by default, F16.
    t = collections.OrderedDict([
        ("gpt_neox.embed_in.weight", torch.randn(9, 4, generator=g).half()),
        ("gpt_neox.final_layer_norm.weight", torch.ones(4).half()),
        ("embed_out.weight", torch.randn(9, 4, generator=g).half()),
    ])
    cfg = collections.OrderedDict([("architectures", ["GPTNeoXForCausalLM"]), ("model_type", "gpt_neox"),
                                   ("vocab_size", 8), ("hidden_size", 4), ("eos_token_id", 0)])
    write_dir("neox", cfg, {"model.safetensors": lambda p: write_safetensors(p, t, {"format": "pt"})}, t)

    # Qwen2 with tie_word_embeddings true and both files present: safetensors wins.
    t = collections.OrderedDict([
        ("model.embed_tokens.weight", torch.randn(7, 4, generator=g).bfloat16()),
        ("model.norm.weight", torch.ones(4).bfloat16()),
    ])
    cfg = collections.OrderedDict([("architectures", ["Qwen2ForCausalLM"]), ("model_type", "qwen2"),
                                   ("vocab_size", 7), ("hidden_size", 4), ("tie_word_embeddings", True),
                                   ("eos_token_id", [5, 6])])
    decoy = collections.OrderedDict([("model.embed_tokens.weight", torch.zeros(7, 4))])
    write_dir("qwen2-tied-both", cfg, {
        "model.safetensors": lambda p: write_safetensors(p, t, {"format": "pt"}),
        "pytorch_model.bin": lambda p: torch.save(decoy, p),
    }, t)


def main():
    if len(sys.argv) > 1:
        sys.exit(__doc__)
    g = torch.Generator().manual_seed(20240611)
    safetensors_fixtures(g)
    narrowing_fixture(g)
    pytorch_fixtures(g)
    checkpoint_fixtures(g)


if __name__ == "__main__":
    main()
