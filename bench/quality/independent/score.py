"""Bits per byte of a model on a text, scored outside the Go code: the
token ids from the official tokenizers library (ids.js), the forward pass
from scripts/golden/forward/reference.py in float32, the windows by the
shared models' protocol (heldout_nll.py). The independent check of
`transplant eval`'s ratios.

    /usr/bin/python3 score.py IDS_JSON MODEL_DIR [BASELINE_IDS_JSON BASELINE_DIR]

Prints the model's bits per byte and, with a baseline scored on the same
text, the ratio to it.
"""

import json
import math
import os
import sys

import torch

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "scripts", "golden", "forward"))
import heldout_nll  # noqa: E402
import reference  # noqa: E402


def bits_per_byte(ids_json, model_dir):
    doc = json.load(open(ids_json))
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    weights = reference.read_safetensors(os.path.join(model_dir, "model.safetensors"))
    ids, scored = heldout_nll.stream(doc["ids"], cfg.get("bos_token_id"))
    ctx = cfg["max_position_embeddings"]
    nll = sum(n for _, n, _ in heldout_nll.windows(cfg, weights, ids, scored, ctx))
    return nll / math.log(2) / sum(doc["chunk_bytes"])


def main():
    if len(sys.argv) not in (3, 5):
        sys.exit(__doc__)
    torch.set_num_threads(1)
    bpb = bits_per_byte(sys.argv[1], sys.argv[2])
    line = "%s: %.4f bits/byte" % (sys.argv[2], bpb)
    if len(sys.argv) == 5:
        base = bits_per_byte(sys.argv[3], sys.argv[4])
        line += ", baseline %.4f, ratio %.4f" % (base, bpb / base)
    print(line)


if __name__ == "__main__":
    main()
