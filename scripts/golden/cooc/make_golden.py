#!/usr/bin/python3
"""Golden singular values and vectors for cooc/, from numpy's exact SVD.

Run from the repository root with Debian's python3 (python3-numpy):

    /usr/bin/python3 scripts/golden/cooc/make_golden.py

It writes cooc/testdata/svd_golden.json: a list of cases, each with a
matrix (rows × cols, row-major, values exactly representable in float32),
the rank the Go test asks for, the number of random directions it should
use, and numpy's leading singular values and left singular vectors of that
float32 matrix computed in float64.

The cases:

  decaying   a dense 60×45 matrix with singular values 2^-i: a randomized
             range finder with a few power iterations recovers the leading
             ones to rounding.
  sparse     a 40×30 nonnegative matrix with 80% zeros (like a PPMI
             matrix) whose leading singular values are separated; the test
             uses as many directions as columns, so the range finder spans
             the whole column space and is exact up to rounding whatever
             the spectrum.

Singular vectors are defined up to sign; the script fixes it as cooc does:
each column's entry of largest magnitude (the first of equals) is positive.
"""
import json
import os

import numpy as np

OUT = os.path.join("cooc", "testdata", "svd_golden.json")


def fix_signs(u):
    u = u.copy()
    for j in range(u.shape[1]):
        i = int(np.argmax(np.abs(u[:, j])))  # first of equals, as cooc
        if u[i, j] < 0:
            u[:, j] = -u[:, j]
    return u


def case(name, a, rank, directions):
    a = np.asarray(a, dtype=np.float32).astype(np.float64)
    u, s, _ = np.linalg.svd(a, full_matrices=False)
    gaps = -np.diff(s[: rank + 1]) / s[0]
    assert gaps.min() > 1e-3, (name, gaps.min())
    return {
        "name": name,
        "rows": a.shape[0],
        "cols": a.shape[1],
        "matrix": a.ravel().tolist(),
        "rank": rank,
        "directions": directions,
        "singular": s[:rank].tolist(),
        "u": fix_signs(u[:, :rank]).ravel().tolist(),
    }


def main():
    rng = np.random.default_rng(20261202)
    cases = []

    q1, _ = np.linalg.qr(rng.standard_normal((60, 45)))
    q2, _ = np.linalg.qr(rng.standard_normal((45, 45)))
    a = q1 @ np.diag(2.0 ** -np.arange(45)) @ q2.T * 100
    cases.append(case("decaying", a, 5, 15))

    a = rng.exponential(1.0, (40, 30)) * (rng.random((40, 30)) < 0.2)
    a[:, 0] += 3 * (rng.random(40) < 0.5)  # a dominant direction
    cases.append(case("sparse", a, 8, 30))

    with open(OUT, "w") as f:
        json.dump({"numpy": np.__version__, "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
