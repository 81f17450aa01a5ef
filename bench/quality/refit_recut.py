"""Prototype, outside the tool: refit the head rows of the shared tokens that
the new tokenizer mostly puts where the base's tokenizer cuts the bytes
otherwise (GPT-2's lone space in an indentation, which Mistral's tokenizer
spells with space-run tokens), toward a donor's predictions, and write the
result as a model directory for `transplant eval`.

shared_loss.py --recut shows these targets hold most of what a transplant
loses to the natively trained model: the base has rarely had to predict
such a token, so its copied head row gives it little probability. Here
the transplant reads the calibration text (its own states, after the
final norm), and each chosen row is fitted by ridge regression, toward its
copied row, to the logit that gives it the donor's probability at every
position next to the transplant's logits for the other tokens.

    transplant tokenize --tokenizer NEW --text calib.txt > CALIB_IDS
    go run ./bench/quality/recut BASE NEW calib.txt > CALIB_MARKS
    /usr/bin/python3 bench/quality/refit_recut.py --transplant DIR --donor DIR --base DIR \\
        --tokenizer NEW --ids CALIB_IDS --marks CALIB_MARKS --out DIR
    transplant eval --baseline BASE --model OUT --text heldout.txt
"""

import argparse
import collections
import json
import os
import shutil
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "..", "scripts", "golden", "forward"))
import reference  # noqa: E402
from shared_loss import new_ids, read_marks  # noqa: E402
from token_diff import read_text_ids  # noqa: E402


def chosen(ids, marks, is_new, min_occ, min_recut):
    """Shared tokens seen at least min_occ times, at least min_recut of them recut."""
    occ, recut = collections.Counter(), collections.Counter()
    for t, same in zip(ids, marks):
        if not is_new[t]:
            occ[t] += 1
            recut[t] += not same
    return sorted(t for t in occ if occ[t] >= min_occ and recut[t] >= min_recut * occ[t])


def samples(cfg, w, dcfg, dw, ids, rows, bos):
    """The transplant's final states and each chosen row's target logit."""
    head = w["lm_head.weight"]
    states = dict(w, **{"lm_head.weight": torch.eye(cfg["hidden_size"])})
    ctx = cfg["max_position_embeddings"] - 1
    hs, ys = [], []
    with torch.no_grad():
        for s in range(0, len(ids), ctx):
            win = [bos] + ids[s:s + ctx]
            x = reference.logits(cfg, states, win, dtype=torch.float32)[:-1]
            others = torch.logsumexp((x @ head.T).index_fill(1, rows, -torch.inf), -1)
            p = torch.softmax(reference.logits(dcfg, dw, win, dtype=torch.float32)[:-1], -1)[:, rows]
            rest = (1 - p.sum(-1, keepdim=True)).clamp(min=1e-3)
            hs.append(x)
            ys.append(torch.log(p.clamp(min=1e-12)) - torch.log(rest) + others[:, None])
    return torch.cat(hs).double(), torch.cat(ys).double()


def main():
    ap = argparse.ArgumentParser()
    for a in ("--transplant", "--donor", "--base", "--tokenizer", "--ids", "--marks", "--out"):
        ap.add_argument(a, required=True)
    ap.add_argument("--min-occurrences", type=int, default=20)
    ap.add_argument("--min-recut", type=float, default=0.5)
    ap.add_argument("--ridge", type=float, default=1.0, help="λ relative to the mean squared state norm")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    vocab, ids = read_text_ids(args.tokenizer, args.ids)
    spell = {v: k for k, v in vocab.items()}
    marks = read_marks(args.marks)
    if len(marks) != len(ids):
        sys.exit("%s: %d marks for %d ids" % (args.marks, len(marks), len(ids)))
    is_new = new_ids(args.transplant, args.base)
    rows = chosen(ids, marks, is_new, args.min_occurrences, args.min_recut)
    print("refitting %d rows: %s" % (len(rows), " ".join(repr(spell[t]) for t in rows[:30])))
    if not rows:
        return
    cfg = json.load(open(os.path.join(args.transplant, "config.json")))
    w = {k: v.float() for k, v in reference.read_safetensors(os.path.join(args.transplant, "model.safetensors")).items()}
    dcfg = json.load(open(os.path.join(args.donor, "config.json")))
    dw = reference.read_safetensors(os.path.join(args.donor, "model.safetensors"))
    rt = torch.tensor(rows)
    h, y = samples(cfg, w, dcfg, dw, ids, rt, cfg["bos_token_id"])
    lam = args.ridge * h.pow(2).sum(1).mean()
    prior = w["lm_head.weight"][rt].double()
    fit = torch.linalg.solve(h.T @ h + lam * torch.eye(h.shape[1], dtype=torch.float64), h.T @ y + lam * prior.T).T
    w["lm_head.weight"][rt] = fit.float()
    out = {k: v.numpy() for k, v in w.items()}  # written as F32
    os.makedirs(args.out)
    for name in os.listdir(args.transplant):
        if name not in ("model.safetensors", "transplant.json"):
            shutil.copy(os.path.join(args.transplant, name), args.out)
    reference.write_safetensors(os.path.join(args.out, "model.safetensors"), out)
    print("wrote %s from %d calibration positions" % (args.out, h.shape[0]))


if __name__ == "__main__":
    main()
