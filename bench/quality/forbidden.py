"""How much probability a model on an extended BPE tokenizer spends on
continuations the tokenizer never writes: after a token o, a token q such
that the merges added to the base's list join o and q (BPE stops only when
no merge applies to a pair of neighbours, so o then q never occurs). The
base wrote such pairs as two tokens and still predicts q after o; each such
position costs -log2(1 - P(q's | context)) bits of the text's total.

    transplant tokenize --tokenizer EXT --text FILE > IDS
    /usr/bin/python3 bench/quality/forbidden.py --model EXT --base BASE --ids IDS

Prints the bits spent so, the model's total bits on the text, and the
first tokens that cost the most. The lines of IDS are joined by the
newline token, so a tokenizer with tokens for runs of line breaks (what
`extend` learns by default on a base that spells line breaks in bytes,
unless `--line-breaks=false`) must be given the ids of the whole text on one
line instead: a blank line read as two newline tokens is a pair it never
writes, and would count against the model.
"""

import argparse
import collections
import json
import math
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "..", "scripts", "golden", "forward"))
import reference  # noqa: E402
from token_diff import read_text_ids  # noqa: E402


def added_merges(model, base):
    """The merges model's tokenizer has past the base's, as id pairs."""
    def merges(d):
        return json.load(open(os.path.join(d, "tokenizer.json")))["model"]["merges"]
    vocab = json.load(open(os.path.join(model, "tokenizer.json")))["model"]["vocab"]
    follow = collections.defaultdict(list)
    for m in merges(model)[len(merges(base)):]:
        a, b = m.split(" ") if isinstance(m, str) else m
        follow[vocab[a]].append(vocab[b])
    return follow


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True, help="the extended model's directory")
    ap.add_argument("--base", required=True, help="the base model's directory (its tokenizer.json)")
    ap.add_argument("--ids", required=True)
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    vocab, ids = read_text_ids(args.model, args.ids)
    spell = {v: k for k, v in vocab.items()}
    follow = added_merges(args.model, args.base)
    cfg = json.load(open(os.path.join(args.model, "config.json")))
    w = reference.read_safetensors(os.path.join(args.model, "model.safetensors"))
    ctx, bos = cfg["max_position_embeddings"] - 1, cfg.get("bos_token_id")
    spent, total, by = 0.0, 0.0, collections.Counter()
    with torch.no_grad():
        for s in range(0, len(ids), ctx):
            win = ([bos] if bos is not None else []) + ids[s:s + ctx]
            lp = torch.log_softmax(reference.logits(cfg, w, win, dtype=torch.float32)[:-1].double(), -1)
            total -= float(lp.gather(1, torch.tensor(win[1:])[:, None]).sum()) / math.log(2)
            for j, o in enumerate(win[:-1]):
                if o in follow:
                    p = float(lp[j, follow[o]].exp().sum())
                    bits = -math.log2(max(1 - p, 1e-12))
                    spent += bits
                    by[o] += bits
    print(json.dumps({
        "bits_on_joined_continuations": round(spent, 1), "bits": round(total, 1),
        "most": [{"token": spell.get(o, str(o)), "bits": round(b, 1)} for o, b in by.most_common(args.top)],
    }, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
