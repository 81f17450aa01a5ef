"""Where a transplant loses on shared targets, against a model trained on the
new tokenizer (such as the donor): whether the new tokens' head rows take
probability from shared targets, or the model reads the text worse.

Both models read the same ids in windows of their context. For each, the
script sums the bits of new-token targets and of shared targets, and the
bits of shared targets once the new tokens' probability is taken out (the
softmax over shared tokens only). A transplant whose shared bits exceed the
reference's by as much with that mass taken out as without loses by its
context, not by its head. The excess over the reference on shared targets
is then split by how many tokens back the last new token was read and,
with --recut (marks from bench/quality/recut), by whether the base
tokenizer would have cut the shared target's bytes as that token too, with
the recut tokens that cost most.

New tokens are the rows of the transplant's input embedding that are not
copies, bit for bit, of a row of the base's.

    transplant tokenize --tokenizer TOK --text FILE > IDS
    go run ./bench/quality/recut BASE NEW FILE > MARKS
    /usr/bin/python3 bench/quality/shared_loss.py --transplant DIR --reference DIR --base DIR --tokenizer NEW --ids IDS [--recut MARKS]
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

# Distances (tokens since the last new input token) the excess is split by.
BUCKETS = [(0, 0), (1, 1), (2, 7), (8, 31), (32, None)]


def new_ids(transplant, base):
    """Ids whose input row is not a copy of one of the base's rows."""
    t = reference.read_safetensors(os.path.join(transplant, "model.safetensors"))["model.embed_tokens.weight"]
    b = reference.read_safetensors(os.path.join(base, "model.safetensors"))["model.embed_tokens.weight"]
    rows = {tuple(r) for r in b.float().tolist()}
    return torch.tensor([tuple(r) not in rows for r in t.float().tolist()])


def scored(model, ids, is_new):
    """Per target: its input, the id, its bits, its bits among shared tokens
    only, and whether it begins a window."""
    cfg = json.load(open(os.path.join(model, "config.json")))
    w = reference.read_safetensors(os.path.join(model, "model.safetensors"))
    ctx = cfg["max_position_embeddings"] - 1
    bos = cfg.get("bos_token_id")
    out = []
    with torch.no_grad():
        for s in range(0, len(ids), ctx):
            win = ([bos] if bos is not None else []) + ids[s:s + ctx]
            lg = reference.logits(cfg, w, win, dtype=torch.float32)[:-1]
            tgt = torch.tensor(win[1:])
            lp = torch.log_softmax(lg, -1).gather(1, tgt[:, None])[:, 0]
            shared = torch.log_softmax(lg.masked_fill(is_new[:lg.shape[1]], -math.inf), -1)
            lps = shared.gather(1, tgt[:, None])[:, 0]
            first = [k == 0 for k in range(len(tgt))]
            out += zip(win[:-1], win[1:], (-lp / math.log(2)).tolist(), (-lps / math.log(2)).tolist(), first)
    return out


def totals(rows, is_new):
    t = {"new": 0.0, "shared": 0.0, "shared_without_new_mass": 0.0, "new_targets": 0, "shared_targets": 0}
    for _, y, bits, bits_shared, _ in rows:
        if is_new[y]:
            t["new"] += bits
            t["new_targets"] += 1
        else:
            t["shared"] += bits
            t["shared_without_new_mass"] += bits_shared
            t["shared_targets"] += 1
    return {k: round(v, 1) if isinstance(v, float) else v for k, v in t.items()}


def excess_by_distance(xs, rs, is_new):
    """Excess bits of xs over rs on shared targets, by tokens since a new
    input in the same window; targets with none before them are left out."""
    sums = [[0.0, 0] for _ in BUCKETS]
    since = None
    for (x_in, y, xb, _, first), (_, _, rb, _, _) in zip(xs, rs):
        if first:
            since = None
        since = 0 if is_new[x_in] else (None if since is None else since + 1)
        if is_new[y] or since is None:
            continue
        for k, (lo, hi) in enumerate(BUCKETS):
            if since >= lo and (hi is None or since <= hi):
                sums[k][0] += xb - rb
                sums[k][1] += 1
    name = lambda lo, hi: str(lo) if lo == hi else ("%d+" % lo if hi is None else "%d-%d" % (lo, hi))
    return [{"since_new": name(lo, hi), "targets": n, "excess_bits": round(e, 1), "per_target": round(e / n, 3) if n else 0}
            for (lo, hi), (e, n) in zip(BUCKETS, sums)]


def read_marks(path):
    """The recut marks, a newline (always the base's own cut) after each line."""
    marks = []
    for line in open(path):
        marks += [m == "1" for m in line.split()] + [True]
    return marks


def excess_by_recut(xs, rs, is_new, marks, spell, top):
    """Excess bits on shared targets the base would cut the same way or not,
    and the recut tokens that cost most."""
    parts = {True: [0.0, 0], False: [0.0, 0]}
    by = collections.defaultdict(lambda: [0.0, 0])
    for k, ((_, y, xb, _, _), (_, _, rb, _, _)) in enumerate(zip(xs, rs)):
        if is_new[y]:
            continue
        parts[marks[k]][0] += xb - rb
        parts[marks[k]][1] += 1
        if not marks[k]:
            by[y][0] += xb - rb
            by[y][1] += 1
    row = lambda e, n: {"targets": n, "excess_bits": round(e, 1), "per_target": round(e / n, 3) if n else 0}
    worst = sorted(by.items(), key=lambda kv: -kv[1][0])[:top]
    return {"same_cut": row(*parts[True]), "recut": row(*parts[False]),
            "costliest_recut": [dict(token=spell.get(t, str(t)), **row(e, n)) for t, (e, n) in worst]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--transplant", required=True)
    ap.add_argument("--reference", required=True)
    ap.add_argument("--base", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--ids", required=True)
    ap.add_argument("--newline", type=int, default=-1)
    ap.add_argument("--recut", help="marks from bench/quality/recut for the same text")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    vocab, ids = read_text_ids(args.tokenizer, args.ids, args.newline)
    is_new = new_ids(args.transplant, args.base)
    xs = scored(args.transplant, ids, is_new)
    rs = scored(args.reference, ids, is_new)
    out = {
        "new_tokens": int(is_new.sum()),
        "transplant": totals(xs, is_new), "reference": totals(rs, is_new),
        "excess_on_shared_targets": excess_by_distance(xs, rs, is_new),
    }
    if args.recut:
        marks = read_marks(args.recut)
        if len(marks) != len(ids):
            sys.exit("%s: %d marks for %d ids" % (args.recut, len(marks), len(ids)))
        spell = {v: k for k, v in vocab.items()}
        out["excess_by_recut"] = excess_by_recut(xs, rs, is_new, marks, spell, args.top)
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
