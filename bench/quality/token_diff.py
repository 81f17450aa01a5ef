"""Which target tokens one model predicts worse than another on a text:
both models (on the same tokenizer) read the same ids in windows of their
context, and the change in NLL is summed by target token. Prints the total
change, the part on targets whose head row differs between the two, and
the tokens that lost and gained most.

    transplant tokenize --tokenizer TOK --text FILE > IDS
    /usr/bin/python3 bench/quality/token_diff.py --a DIR --b DIR --tokenizer TOK --ids IDS [--newline ID]

IDS holds one line of ids per line of the text, as `transplant tokenize`
prints them; lines are joined by the tokenizer's newline token (--newline,
found by its spelling when not given).
"""

import argparse
import collections
import json
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "scripts", "golden", "forward"))
import reference  # noqa: E402


def read_ids(path, newline, limit):
    ids = []
    for line in open(path):
        ids += [int(x) for x in line.split()] + [newline]
    return ids[:limit] if limit else ids


def read_text_ids(tokenizer, path, newline=-1, limit=0):
    """The tokenizer's vocabulary and the ids of path, lines joined by
    newline (the tokenizer's newline token when negative)."""
    vocab = json.load(open(os.path.join(tokenizer, "tokenizer.json")))["model"]["vocab"]
    if newline < 0:
        newline = next(vocab[s] for s in ("Ċ", "\n", "<0x0A>") if s in vocab)
    return vocab, read_ids(path, newline, limit)


def window_nll(model, ids):
    """NLL of each id after the first of every window, and the targets."""
    cfg = json.load(open(os.path.join(model, "config.json")))
    w = reference.read_safetensors(os.path.join(model, "model.safetensors"))
    ctx = cfg["max_position_embeddings"] - 1
    bos = cfg.get("bos_token_id")
    nll, targets = [], []
    with torch.no_grad():
        for s in range(0, len(ids), ctx):
            win = ([bos] if bos is not None else []) + ids[s:s + ctx]
            lg = reference.logits(cfg, w, win, dtype=torch.float32)
            lp = torch.log_softmax(lg[:-1], -1).gather(1, torch.tensor(win[1:])[:, None])[:, 0]
            nll += (-lp).tolist()
            targets += win[1:]
    return nll, targets, w


def head(weights):
    return weights.get("lm_head.weight", weights["model.embed_tokens.weight"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--newline", type=int, default=-1)
    ap.add_argument("--limit", type=int, default=0, help="score only this many ids (0: all)")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    vocab, ids = read_text_ids(args.tokenizer, args.ids, args.newline, args.limit)
    spell = {v: k for k, v in vocab.items()}
    a, targets, wa = window_nll(args.a, ids)
    b, _, wb = window_nll(args.b, ids)
    changed = set(((head(wa) - head(wb)).abs().sum(1) > 0).nonzero()[:, 0].tolist())
    by, count = collections.defaultdict(float), collections.Counter()
    on_changed = 0.0
    for t, x, y in zip(targets, a, b):
        by[t] += y - x
        count[t] += 1
        if t in changed:
            on_changed += y - x
    ranked = sorted(by.items(), key=lambda kv: -kv[1])
    row = lambda kv: {"token": spell.get(kv[0], str(kv[0])), "nats": round(kv[1], 2), "count": count[kv[0]], "head_row_changed": kv[0] in changed}
    print(json.dumps({
        "targets": len(targets), "nats_a": sum(a), "nats_b": sum(b), "change": sum(b) - sum(a),
        "change_on_changed_rows": on_changed, "head_rows_changed": len(changed),
        "lost": [row(kv) for kv in ranked[:args.top]], "gained": [row(kv) for kv in ranked[::-1][:args.top]],
    }, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
