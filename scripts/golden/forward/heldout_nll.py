"""Per-window negative log-likelihoods of the shared models on heldout.txt,
by the protocol of ../shared/models/README.md, from reference.py in float32.

    /usr/bin/python3 scripts/golden/forward/heldout_nll.py [/work/shared/models]

Reads the token ids heldout_ids.js wrote (eval/testdata/heldout/<model>.json.gz)
and writes eval/testdata/heldout/<model>.nll.json: the NLL (nats) and count of
scored tokens of every window, and the bits-per-byte they add up to. eval's
tests compare the Go scorer with these window by window.
"""

import gzip
import json
import math
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
import reference  # noqa: E402

OUT = os.path.join(here, "..", "..", "..", "eval", "testdata", "heldout")


def stream(chunks, bos):
    """One id stream, each chunk preceded by bos (none when bos is None, as
    eval.Stream); BOS positions unscored."""
    ids, scored = [], []
    for chunk in chunks:
        if bos is not None:
            ids.append(bos)
            scored.append(False)
        ids.extend(chunk)
        scored.extend([True] * len(chunk))
    return ids, scored


def windows(cfg, weights, ids, scored, context, max_windows=0):
    """Yields (inputs, nll, count) per non-overlapping window of context ids."""
    with torch.no_grad():
        for k, start in enumerate(range(0, len(ids) - 1, context)):
            if max_windows and k == max_windows:
                return
            tgt = torch.tensor(ids[start + 1:start + context + 1])
            keep = torch.tensor(scored[start + 1:start + context + 1])
            out = reference.logits(cfg, weights, ids[start:start + len(tgt)], dtype=torch.float32)
            lp = torch.log_softmax(out, dim=-1).gather(1, tgt[:, None])[:, 0]
            yield len(tgt), -lp[keep].double().sum().item(), int(keep.sum())


def main():
    models = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "..", "..", "shared", "models")
    nbytes = os.path.getsize(os.path.join(models, "heldout.txt"))
    torch.set_num_threads(1)
    for name in ("A-mistral", "B-gpt2"):
        d = os.path.join(models, name)
        cfg = json.load(open(os.path.join(d, "config.json")))
        weights = reference.read_safetensors(os.path.join(d, "model.safetensors"))
        doc = json.loads(gzip.open(os.path.join(OUT, name + ".json.gz")).read())
        ids, scored = stream(doc["ids"], cfg["bos_token_id"])
        ctx = cfg["max_position_embeddings"]
        res = [(nll, n) for _, nll, n in windows(cfg, weights, ids, scored, ctx)]
        total = sum(r[0] for r in res)
        bpb = total / math.log(2) / nbytes
        out = {"context": ctx, "bos": cfg["bos_token_id"], "bytes": nbytes,
               "window_nll": [r[0] for r in res], "window_tokens": [r[1] for r in res],
               "tokens": sum(r[1] for r in res), "bits_per_byte": bpb,
               "generator": "scripts/golden/forward/heldout_nll.py (PyTorch %s, float32)" % torch.__version__}
        with open(os.path.join(OUT, name + ".nll.json"), "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")
        print("%s: %d windows, %d tokens, %.4f bits/byte" % (name, len(res), out["tokens"], bpb))


if __name__ == "__main__":
    main()
