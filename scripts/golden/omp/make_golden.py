#!/usr/bin/python3
"""Golden supports and coefficients for omp/, from scikit-learn's OMP.

Run from the repository root with Debian's python3 (python3-sklearn):

    /usr/bin/python3 scripts/golden/omp/make_golden.py

For each seeded problem it writes into omp/testdata/golden/:

  <data>.f32.gz   the anchors (rows) then the targets, float32 little-endian
  <name>.json     the problem and, per target, scikit-learn's selection
                  order, coefficients, residual norm, and the length of the
                  tie-free prefix of the path (see below)

scikit-learn's orthogonal_mp takes atoms as columns, so it is called with
X = anchorsᵀ, one target at a time, in float64, with return_path=True so
that the order of selection is known. Options map as follows:

  K          n_nonzero_coefs; with a tolerance, the tolerance path cut at K
  Tolerance  omp's is relative, ‖r‖ ≤ tol·‖x‖; sklearn's tol is the
             absolute squared norm, so tol_sklearn = (tol·‖x‖)²
  Normalize  sklearn run on unit-norm atoms, coefficients divided back by
             the atoms' norms

Ties: the script replays every path in float64 and records, per target,
how many leading steps had a gap between the best and second-best
correlation above 1e-9 of the best (the tie-free prefix). Past a tie any
choice is right, so the Go test compares supports only on that prefix.
Exact duplicate atoms always tie; the replay counts each duplicate class
once (by its lowest index), and so must the comparison.
The data keep 12 significant bits so that the files compress; the values
are otherwise generic.
"""
import gzip
import json
import os
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import orthogonal_mp, orthogonal_mp_gram

OUT = os.path.join("omp", "testdata", "golden")
TIE_GAP = 1e-9


def trim(a):
    """Round to float32 and keep 12 significant bits."""
    a = np.asarray(a, dtype=np.float32)
    return (a.view(np.uint32) & np.uint32(0xFFFFF800)).view(np.float32)


def gaussian(rng, rows, cols):
    return trim(rng.standard_normal((rows, cols)))


def structured(rng, rows, cols, rank):
    """Low rank with a decaying spectrum, a shared mean, noise, varied norms."""
    basis = rng.standard_normal((rank, cols)) / np.sqrt(cols)
    mean = 0.3 * rng.standard_normal(cols) / np.sqrt(cols)
    z = rng.standard_normal((rows, rank)) * 3 / np.sqrt(1 + np.arange(rank) / 4)
    noise = 0.5 * rng.standard_normal((rows, cols)) / np.sqrt(cols)
    scale = np.exp(0.3 * rng.standard_normal((rows, 1)))
    return trim(scale * (z @ basis + mean + noise))


def collinear(rng, cols):
    """Gaussian atoms plus exact duplicates, near duplicates and near
    combinations of pairs, shuffled; targets mix atoms with noise."""
    base = rng.standard_normal((200, cols))
    dup = base[rng.choice(200, 20, replace=False)]
    near = base[rng.choice(200, 40, replace=False)] + 1e-3 * rng.standard_normal((40, cols))
    i, j = rng.choice(200, 40), rng.choice(200, 40)
    combo = (base[i] + base[j]) / np.sqrt(2) + 1e-3 * rng.standard_normal((40, cols))
    anchors = trim(np.vstack([base, dup, near, combo])[rng.permutation(300)])
    w = rng.standard_normal((25, 300)) * (rng.random((25, 300)) < 0.03)
    targets = trim(w @ anchors + 0.05 * rng.standard_normal((25, cols)))
    return anchors, targets


def exact_sparse(rng, rows, cols, n):
    """Atoms on a 2^-8 grid and targets that are exact combinations of
    3 to 12 of them with coefficients on a 2^-2 grid, so that every target
    is exactly sparse in float32."""
    anchors = np.round(rng.standard_normal((rows, cols)) * 256) / 256
    targets = np.zeros((n, cols))
    for t in range(n):
        s = rng.choice(rows, rng.integers(3, 13), replace=False)
        c = np.round(rng.uniform(0.5, 2, len(s)) * 4) / 4 * rng.choice([-1, 1], len(s))
        targets[t] = c @ anchors[s]
    a32, t32 = anchors.astype(np.float32), targets.astype(np.float32)
    assert np.array_equal(t32.astype(np.float64), targets), "targets not exact in float32"
    return a32, t32


def sklearn_path(D, x, k, tol_rel, normalize):
    """Selection order and coefficients of scikit-learn's OMP for one
    target, with omp's option semantics."""
    norms = np.linalg.norm(D, axis=1)
    X = (D / np.where(norms > 0, norms, 1)[:, None]) if normalize else D
    kw = dict(return_path=True, return_n_iter=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if tol_rel > 0:
            path, n_iter = orthogonal_mp(X.T, x, tol=(tol_rel * np.linalg.norm(x)) ** 2, **kw)
        else:
            path, n_iter = orthogonal_mp(X.T, x, n_nonzero_coefs=k, **kw)
    premature = any("prematurely" in str(w.message) for w in caught)
    path = path.reshape(len(D), -1)
    order = []
    for step in range(path.shape[1]):
        new = [j for j in np.flatnonzero(path[:, step]) if j not in order]
        assert len(new) == 1, "path does not add one atom per step"
        order.append(int(new[0]))
    steps = min(len(order), k)
    order = order[:steps]
    coef = path[order, steps - 1] if steps else np.zeros(0)
    if normalize:
        coef = coef / norms[order]
    return order, coef, premature and steps < k


def canonical(D):
    """The lowest index of each atom's class of exact duplicates."""
    first = {}
    return np.array([first.setdefault(row.tobytes(), j) for j, row in enumerate(D)])


def tie_free_prefix(D, x, order, normalize):
    """Leading steps whose best correlation beats the runner-up by more
    than TIE_GAP (relative), replayed in float64, and the smallest relative
    gap over the path; also checks that the replay picks what scikit-learn
    picked."""
    norms = np.linalg.norm(D, axis=1)
    canon = canonical(D)
    smallest = 1.0
    for step in range(len(order)):
        S = order[:step]
        r = x - (np.linalg.lstsq(D[S].T, x, rcond=None)[0] @ D[S] if S else 0)
        c = np.abs(D @ r)
        if normalize:
            c = c / np.where(norms > 0, norms, np.inf)
        c[canon != np.arange(len(D))] = -1
        c[canon[S]] = -1
        best = np.argsort(-c, kind="stable")[:2]
        gap = (c[best[0]] - c[best[1]]) / c[best[0]]
        smallest = min(smallest, gap)
        if best[0] != canon[order[step]] or gap <= TIE_GAP:
            return step, smallest
    return len(order), smallest


def gram_agrees(D, x, k, order):
    """orthogonal_mp_gram must follow the same path (a check on the goldens)."""
    G, Xy = D @ D.T, D @ x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        coef = orthogonal_mp_gram(G, Xy, n_nonzero_coefs=min(k, len(order)) or 1)
    return set(np.flatnonzero(coef)) == set(order[: len(np.flatnonzero(coef))])


def write(name, data, anchors, targets, k, tol, normalize, note):
    D, X = anchors.astype(np.float64), targets.astype(np.float64)
    expect = []
    for x in X:
        order, coef, premature = sklearn_path(D, x, k, tol, normalize)
        prefix, gap = tie_free_prefix(D, x, order, normalize)
        if tol == 0 and not normalize and prefix == len(order) and order:
            assert gram_agrees(D, x, k, order), name
        r = x - coef @ D[order] if order else x
        expect.append(dict(support=order, coef=[float(c) for c in coef], residual=float(np.linalg.norm(r)),
                           tie_free=prefix, min_gap=float(gap), premature=bool(premature)))
    meta = dict(name=name, note=note, data=data + ".f32.gz", anchors=len(anchors), targets=len(targets),
                hidden=anchors.shape[1], k=k, tolerance=tol, normalize=normalize,
                sklearn=sklearn.__version__, expect=expect)
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(meta, f, indent=None, separators=(",", ":"))
        f.write("\n")
    ties = sum(e["tie_free"] < len(e["support"]) for e in expect)
    print(f"{name}: {len(anchors)}×{anchors.shape[1]}, {len(targets)} targets, k={k}, tol={tol}, "
          f"normalize={normalize}, {ties} with ties")


def save(data, anchors, targets):
    with gzip.GzipFile(os.path.join(OUT, data + ".f32.gz"), "wb", mtime=0) as f:
        f.write(np.ascontiguousarray(anchors, "<f4").tobytes())
        f.write(np.ascontiguousarray(targets, "<f4").tobytes())


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20240501)

    a, t = gaussian(rng, 300, 48), gaussian(rng, 20, 48)
    save("gaussian", a, t)
    write("gaussian", "gaussian", a, t, 16, 0, False, "independent normal atoms")

    a, t = structured(rng, 1000, 128, 24), structured(rng, 30, 128, 24)
    save("lowrank", a, t)
    write("lowrank", "lowrank", a, t, 64, 0, False, "low rank plus noise, varied norms, k=64")
    write("lowrank-normalized", "lowrank", a, t, 64, 0, True, "as lowrank, selection on unit-norm atoms")

    a, t = structured(rng, 800, 96, 16), structured(rng, 30, 96, 16)
    save("tolerance", a, t)
    write("tolerance", "tolerance", a, t, 64, 0.25, False, "stops at ‖r‖ ≤ 0.25‖x‖ or 64 atoms")
    write("tolerance-normalized", "tolerance", a, t, 48, 0.1, True, "stops at ‖r‖ ≤ 0.1‖x‖ or 48 atoms")

    a, t = collinear(rng, 64)
    save("collinear", a, t)
    write("collinear", "collinear", a, t, 32, 0, False, "duplicates, near duplicates, near combinations")

    a, t = exact_sparse(rng, 500, 128, 20)
    save("exact-sparse", a, t)
    write("exact-sparse", "exact-sparse", a, t, 32, 0, False, "targets exactly 3- to 12-sparse; stops early")

    a, t = structured(rng, 2000, 256, 48), structured(rng, 12, 256, 48)
    save("wide", a, t)
    write("wide", "wide", a, t, 64, 0, False, "2000 anchors, hidden 256")

    a, t = gaussian(rng, 200, 16), gaussian(rng, 10, 16)
    save("k-exceeds-hidden", a, t)
    write("k-exceeds-hidden", "k-exceeds-hidden", a, t, 24, 0, False, "k > hidden: exact fit after 16 atoms")


if __name__ == "__main__":
    main()
