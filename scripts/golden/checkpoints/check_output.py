#!/usr/bin/python3
"""Check a model directory written by transplant with software other than
transplant: an independent safetensors reader (struct + json + torch) for the
output, torch.load for the reference.

    /usr/bin/python3 scripts/golden/checkpoints/check_output.py OUT_DIR REFERENCE [EXCEPT ...]

REFERENCE is a pytorch_model.bin (or a .safetensors file). Every tensor of the
reference must be in OUT_DIR with the same dtype, shape and bits, except the
names listed after it, which are only reported. The shard index, if any, must
list exactly the tensors the shards hold, with total_size their byte sum, and
each shard must satisfy the format's rules (offsets tiling the data, 8-byte
aligned data start is not required but reported). Exits non-zero on the first
mismatch. Used by hand, to show that what WriteDir writes reads back elsewhere;
tests in Go do not need it.
"""
import json
import os
import struct
import sys

import torch

DT = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16,
      "I64": torch.int64, "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8,
      "BOOL": torch.bool}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", None)
    body = data[8 + n:]
    spans = sorted((v["data_offsets"], k) for k, v in header.items())
    end = 0
    for (b, e), k in spans:
        assert b == end, f"{path}: {k} starts at {b}, expected {end}"
        end = e
    assert end == len(body), f"{path}: tensors cover {end} of {len(body)} bytes"
    out = {}
    for k, v in header.items():
        b, e = v["data_offsets"]
        raw = bytearray(body[b:e])
        t = torch.frombuffer(raw, dtype=DT[v["dtype"]]) if raw else torch.empty(0, dtype=DT[v["dtype"]])
        out[k] = t.reshape(v["shape"])
    return out, meta, (8 + n) % 8 == 0


def read_dir(d):
    index = os.path.join(d, "model.safetensors.index.json")
    if not os.path.exists(index):
        t, meta, aligned = read_safetensors(os.path.join(d, "model.safetensors"))
        print(f"model.safetensors: {len(t)} tensors, metadata {meta}, aligned {aligned}")
        return t
    ix = json.load(open(index))
    tensors, total = {}, 0
    for shard in sorted(set(ix["weight_map"].values())):
        t, meta, aligned = read_safetensors(os.path.join(d, shard))
        print(f"{shard}: {len(t)} tensors, metadata {meta}, aligned {aligned}")
        for k, v in t.items():
            assert ix["weight_map"].get(k) == shard, f"{k} in {shard}, index says {ix['weight_map'].get(k)}"
            total += v.numel() * v.element_size()
        tensors.update(t)
    assert set(tensors) == set(ix["weight_map"]), "index and shards list different tensors"
    assert ix["metadata"]["total_size"] == total, f"total_size {ix['metadata']['total_size']} != {total}"
    return tensors


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out, ref_path, skip = sys.argv[1], sys.argv[2], set(sys.argv[3:])
    got = read_dir(out)
    if ref_path.endswith(".safetensors"):
        ref = read_safetensors(ref_path)[0]
    else:
        ref = torch.load(ref_path, map_location="cpu")
    for k, v in ref.items():
        if k in skip:
            g = got.get(k)
            print(f"{k}: replaced, now {None if g is None else (g.dtype, tuple(g.shape))}")
            continue
        g = got[k]
        assert g.dtype == v.dtype and g.shape == v.shape, f"{k}: {g.dtype}{tuple(g.shape)} vs {v.dtype}{tuple(v.shape)}"
        same = torch.equal(g.view(torch.uint8) if g.dtype != torch.bool else g,
                           v.contiguous().view(torch.uint8) if v.dtype != torch.bool else v)
        assert same, f"{k}: bits differ"
    print(f"OK: {len(ref) - len(skip & set(ref))} tensors bit-identical to {ref_path}")


if __name__ == "__main__":
    main()
