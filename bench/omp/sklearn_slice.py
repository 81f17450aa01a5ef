#!/usr/bin/python3
"""Times scikit-learn's orthogonal_mp_gram on a slice of a bench/omp problem.

    /usr/bin/python3 bench/omp/sklearn_slice.py DIR TARGETS OUT.json

DIR holds problem.json, anchors.f32 and targets.f32 as bench/omp writes
them. The script computes the Gram matrix of the anchors (float32, as the
data) once, then runs orthogonal_mp_gram with n_nonzero_coefs=k on the
first TARGETS targets. orthogonal_mp_gram copies the whole Gram matrix for
every target when given several (copy_Gram is forced), so its cost is
linear in the targets and the full run is extrapolated from the slice:
gram_seconds + targets × seconds_per_target. The supports (as sets: the
public API does not return the order) go into OUT for comparison.
"""
import json
import os
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import orthogonal_mp_gram


def main():
    data, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    p = json.load(open(os.path.join(data, "problem.json")))
    D = np.fromfile(os.path.join(data, "anchors.f32"), "<f4").reshape(p["anchors"], p["hidden"])
    X = np.fromfile(os.path.join(data, "targets.f32"), "<f4").reshape(-1, p["hidden"])[:n]
    start = time.perf_counter()
    G = D @ D.T
    gram = time.perf_counter() - start
    Xy = D @ X.T
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        coef = orthogonal_mp_gram(G, Xy, n_nonzero_coefs=p["k"])
    per = (time.perf_counter() - start) / n
    coef = coef.reshape(p["anchors"], n)
    supports = [np.flatnonzero(coef[:, i]).tolist() for i in range(n)]
    total = p.get("full_targets", p["targets"])
    res = dict(sklearn=sklearn.__version__, numpy=np.__version__, dtype=str(G.dtype), targets=n,
               gram_seconds=gram, seconds_per_target=per, extrapolated_seconds=gram + total * per,
               gram_bytes=G.nbytes, supports=supports)
    json.dump(res, open(out, "w"))
    print(f"scikit-learn {sklearn.__version__}: Gram {gram:.1f}s, {per:.2f}s per target, "
          f"{gram + total * per:.0f}s extrapolated to {total} targets")


if __name__ == "__main__":
    main()
