"""PyTorch side of bench/forward: the forward pass of
scripts/golden/forward/reference.py in float32 over the first windows of
heldout.txt, by the protocol of ../shared/models/README.md. Prints one JSON
line like the Go driver's.

    /usr/bin/python3 bench/forward/torch_ref.py --model DIR --ids IDS.json.gz [--threads N] [--windows K]
"""

import argparse
import gzip
import json
import os
import sys
import time

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "scripts", "golden", "forward"))
import heldout_nll  # noqa: E402
import reference  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--ids", required=True, help="as scripts/golden/forward/heldout_ids.js writes")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--windows", type=int, default=0, help="score only this many windows (0: all)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    cfg = json.load(open(os.path.join(args.model, "config.json")))
    weights = reference.read_safetensors(os.path.join(args.model, "model.safetensors"))
    chunks = json.loads(gzip.open(args.ids).read())["ids"]
    ids, scored = heldout_nll.stream(chunks, cfg["bos_token_id"])
    ctx = cfg["max_position_embeddings"]

    start = time.perf_counter()
    inputs, nll, count, windows = 0, 0.0, 0, 0
    for n, w_nll, w_count in heldout_nll.windows(cfg, weights, ids, scored, ctx, args.windows):
        inputs += n
        nll += w_nll
        count += w_count
        windows += 1
    secs = time.perf_counter() - start
    print(json.dumps({
        "impl": "pytorch", "intra_op_threads": args.threads, "windows": windows, "tokens": inputs,
        "scored": count, "seconds": secs, "tokens_per_second": inputs / secs, "nll": nll,
    }))


if __name__ == "__main__":
    main()
