"""How much of Solve's correlation update could safe block screening skip?

An experiment, not part of the benchmark. It runs OMP (unnormalized, as
omp.Solve's default) on the first targets of a problem written by
bench/omp, keeping every step's exact block maxima of |correlation|, then
replays the screening rule: a (target, block) pair is evaluated at step t
only if an upper bound on its block maximum reaches L, the true maximum of
the block with the largest bound (or, for "oracle", the true maximum over
all blocks). Evaluated blocks refresh their snapshot (max m_b, residual
energy e_b, coefficients γ at that step). Bounds, without rounding margins:

  cs:   m_b + N_b·sqrt(e_b − ‖r_t‖²), capped by N_b·‖r_t‖ (residuals are
        nested projections; N_b is the block's largest anchor norm)
  both: min(cs, m_b + Σ_s |γ_t,s − γ_b,s|·max_{j∈b} |⟨d_j, d_s⟩|)

Blocks are tileRows = 64 anchors, in the given order or sorted by norm.
The "work-weighted" fraction weighs step t by t+1, the update's cost.

    /usr/bin/python3 bench/omp/screen_sim.py /tmp/omp-bench/medium 256
"""
import json
import sys

import numpy as np

B = 64


def blocks(v, o):
    """Block maxima of v[..., o] along the last axis; o pads with -1."""
    g = np.where(o >= 0, v[..., o], 0)
    return g.reshape(*v.shape[:-1], -1, B).max(-1)


def pursue(D, X, K, orders):
    """OMP with full correlations; returns supports, per-step |α| block
    maxima for each ordering, residual energies and coefficients."""
    T = X.shape[0]
    R, Q = X.copy(), np.zeros((T, K, D.shape[1]))
    sup = np.zeros((T, K), dtype=np.int64)
    bm, E = [np.zeros((K, T, len(o) // B)) for o in orders], np.zeros((K, T))
    for t in range(K):
        A = (D @ R.T.astype(np.float32)).T.astype(np.float64)
        for i in range(T):
            A[i, sup[i, :t]] = 0
        A, E[t] = np.abs(A), (R * R).sum(1)
        for m, o in zip(bm, orders):
            m[t] = blocks(A, o)
        sup[:, t] = A.argmax(1)
        d = D[sup[:, t]].astype(np.float64)
        for _ in range(2):
            d -= np.einsum('tk,tkh->th', np.einsum('tkh,th->tk', Q[:, :t], d), Q[:, :t])
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        Q[:, t] = d
        R -= (d * R).sum(1, keepdims=True) * d
    gam = np.zeros((K, T, K))
    for i in range(T):
        for t in range(1, K):
            A = D[sup[i, :t]].astype(np.float64)
            gam[t, i, :t] = np.linalg.lstsq(A.T, X[i], rcond=None)[0]
    return sup, bm, E, gam


def replay(bm, E, gam, N, G, sup_q, mode, oracle):
    K, T, nb = bm.shape
    ev = np.zeros(K)
    for i in range(T):
        Gi = G[sup_q[i]]
        sm, se, st = bm[0, i].copy(), np.full(nb, E[0, i]), np.zeros(nb, dtype=int)
        ev[0] += nb
        for t in range(1, K):
            et = E[t, i]
            bound = np.minimum(sm + N * np.sqrt(np.maximum(0, se - et)), N * np.sqrt(et))
            if mode == 'both':
                dg = np.abs(gam[t, i][None, :] - gam[st, i])
                bound = np.minimum(bound, sm + (dg * Gi.T).sum(1))
            true = bm[t, i]
            L = true.max() if oracle else true[bound.argmax()]
            m = bound >= L
            ev[t] += m.sum()
            sm[m], se[m], st[m] = true[m], et, t
    return ev / (T * nb)


def main(data, T):
    p = json.load(open(f'{data}/problem.json'))
    n, h, K = p['anchors'], p['hidden'], p['k']
    D = np.fromfile(f'{data}/anchors.f32', dtype=np.float32).reshape(n, h)
    X = np.fromfile(f'{data}/targets.f32', dtype=np.float32, count=T * h).reshape(T, h).astype(np.float64)
    norm = np.sqrt((D.astype(np.float64) ** 2).sum(1))
    nb = (n + B - 1) // B
    pad = np.full(nb * B - n, -1)
    orders = {'given order': np.arange(n), 'sorted by norm': np.argsort(-norm, kind='stable')}
    orders = {k: np.concatenate([o, pad]) for k, o in orders.items()}
    sup, bms, E, gam = pursue(D, X, K, list(orders.values()))
    rank = np.argsort(np.argsort(-norm)) / n
    print(f'{T} targets, k = {K}: chosen anchors lie in the top {np.median(rank[sup]):.1%} of norms (median)')
    atoms = np.unique(sup)
    sup_q = np.searchsorted(atoms, sup)
    w = np.arange(K) + 1.0
    for (name, o), bm in zip(orders.items(), bms):
        N = blocks(norm, o)
        G = np.zeros((len(atoms), nb))
        for c in range(0, len(atoms), 512):
            G[c:c + 512] = blocks(np.abs(D[atoms[c:c + 512]] @ D.T).astype(np.float64), o)
        for mode in ('cs', 'both'):
            for oracle in (False, True):
                f = replay(bm, E, gam, N, G, sup_q, mode, oracle)
                print(f'{name:15} {mode:4} {"oracle L" if oracle else "real L  "}: evaluated '
                      f'{f[1:].mean():.3f} of blocks (steps 1..{K - 1}), work-weighted {(f * w).sum() / w.sum():.3f}')


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 256)
