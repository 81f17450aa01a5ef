"""The base model's own bits on the parts of a text that `transplant eval`
splits an extended model's targets into: new tokens, tokens right after a
new token, and the others. Compared with the split `transplant eval --json`
gives for the extended model, it tells where an extension loses.

    /usr/bin/python3 bench/extend/base_split.py --base DIR --ids IDS.json.gz --extended DIR

IDS is the base's encoding of the text in the protocol of
../shared/models/README.md (eval/testdata/heldout/A-mistral.json.gz for
heldout.txt). The extended tokenizer's cut is made from the base's ids by
applying its new merges, which is how a BPE extension encodes: every new
merge comes after the old ones. Prints one JSON line of bits per part.
"""

import argparse
import gzip
import json
import math
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "scripts", "golden", "forward"))
import heldout_nll  # noqa: E402
import reference  # noqa: E402


def token_nll(cfg, weights, ids, context):
    """NLL of every id given the ones before it, in the protocol's windows."""
    nll = [0.0] * len(ids)
    with torch.no_grad():
        for start in range(0, len(ids) - 1, context):
            tgt = torch.tensor(ids[start + 1:start + context + 1])
            out = reference.logits(cfg, weights, ids[start:start + len(tgt)], dtype=torch.float32)
            lp = torch.log_softmax(out, -1).gather(1, tgt[:, None])[:, 0]
            for k in range(len(tgt)):
                nll[start + 1 + k] = -lp[k].item()
    return nll


def new_merges(tok, first_new):
    vocab = tok["model"]["vocab"]
    ranks = {}
    for r, m in enumerate(tok["model"]["merges"]):
        a, b = m.split(" ") if isinstance(m, str) else m
        if vocab.get(a + b, -1) >= first_new:
            ranks[(a, b)] = r
    return vocab, ranks


def extended_cut(pieces, ranks):
    """Applies the new merges, lowest rank first, to a chunk's old tokens;
    each symbol keeps the stream positions of its old tokens."""
    syms = [[p, [pos]] for p, pos in pieces]
    while True:
        best = None
        for k in range(len(syms) - 1):
            r = ranks.get((syms[k][0], syms[k + 1][0]))
            if r is not None and (best is None or r < best[0]):
                best = (r, k)
        if best is None:
            return syms
        k = best[1]
        syms[k] = [syms[k][0] + syms[k + 1][0], syms[k][1] + syms[k + 1][1]]
        del syms[k + 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--extended", required=True)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = json.load(open(os.path.join(args.base, "config.json")))
    weights = reference.read_safetensors(os.path.join(args.base, "model.safetensors"))
    chunks = json.loads(gzip.open(args.ids).read())["ids"]
    ids, _ = heldout_nll.stream(chunks, cfg["bos_token_id"])
    nll = token_nll(cfg, weights, ids, cfg["max_position_embeddings"])
    old = json.load(open(os.path.join(args.base, "tokenizer.json")))
    ext = json.load(open(os.path.join(args.extended, "tokenizer.json")))
    first_new = len(old["model"]["vocab"])
    vocab, ranks = new_merges(ext, first_new)
    spell = {v: k for k, v in vocab.items()}
    bits = {"new": 0.0, "after_new": 0.0, "shared": 0.0}
    pos = 0
    for chunk in chunks:
        pos += 1  # the BOS, unscored
        syms = extended_cut([(spell[i], pos + k) for k, i in enumerate(chunk)], ranks)
        pos += len(chunk)
        after = False
        for s, where in syms:
            is_new = vocab[s] >= first_new
            part = "new" if is_new else ("after_new" if after else "shared")
            bits[part] += sum(nll[p] for p in where) / math.log(2)
            after = is_new
    print(json.dumps(bits))


if __name__ == "__main__":
    main()
