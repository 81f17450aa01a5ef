"""Could Solve keep its Gram columns in 16 bits and stay exact?

An experiment, not part of the benchmark. Halving the bytes the update
reads per multiply-add would speed it up only if rounding the Gram columns
to a 16-bit format left the screen decisive: Solve must still prove which
anchor has the largest correlation, so every anchor whose correlation could
reach the best one's within the rounding bound must be recomputed exactly.

This runs OMP in float64 on the first targets of a problem written by
bench/omp, and at every step counts those contenders,

    #{ i : |α_i| + b_i ≥ |α_best| − b_best },

for a Gram column rounded with unit roundoff u, under two bounds on the
error of Σ_s γ_s g_s:

  norm:  b_i = u·‖d_i‖·Σ_s |γ_s|·‖d_s‖   (what errorScale can afford: no
         extra work in the update)
  entry: b_i = u·Σ_s |γ_s|·|⟨d_i, d_s⟩|   (needs a second accumulation of
         the same size in the update)

with γ the current coefficients (no rebase). "inconclusive" counts steps
where the bound swamps the best correlation itself.

    /usr/bin/python3 bench/omp/precision_sim.py /tmp/omp-bench/medium 32
"""
import json
import sys

import numpy as np

FORMATS = {'bfloat16': 2.0**-8, 'float16': 2.0**-11, 'float32': 2.0**-24}


def main(data, T):
    p = json.load(open(f'{data}/problem.json'))
    n, h, K = p['anchors'], p['hidden'], p['k']
    D = np.fromfile(f'{data}/anchors.f32', dtype=np.float32).reshape(n, h).astype(np.float64)
    X = np.fromfile(f'{data}/targets.f32', dtype=np.float32, count=T * h).reshape(T, h).astype(np.float64)
    norm = np.linalg.norm(D, axis=1)
    stats = {(f, b): ([], 0) for f in FORMATS for b in ('norm', 'entry')}
    for x in X:
        sup, r = [], x.copy()
        for t in range(K):
            a = np.abs(D @ r)
            a[sup] = 0
            j = int(a.argmax())
            if t > 0:
                size = {'norm': norm * np.sum(np.abs(g) * norm[sup]),
                        'entry': np.abs(D @ D[sup].T) @ np.abs(g)}
                for (f, b), (cont, inc) in stats.items():
                    bound = FORMATS[f] * size[b]
                    if a[j] <= bound[j]:
                        stats[f, b] = (cont, inc + 1)
                    else:
                        cont.append(int(np.sum(a + bound >= a[j] - bound[j])))
            sup.append(j)
            g = np.linalg.lstsq(D[sup].T, x, rcond=None)[0]
            r = x - D[sup].T @ g
    print(f'{T} targets, k = {K}, {T * (K - 1)} steps')
    for (f, b), (cont, inc) in stats.items():
        c = np.array(cont) if cont else np.zeros(1)
        print(f'{f:8} {b:5}: inconclusive {inc / (T * (K - 1)):6.1%}, contenders median {np.median(c):5.0f}, '
              f'p90 {np.percentile(c, 90):6.0f}, over 64 in {np.mean(c > 64):6.1%} of steps')


if __name__ == '__main__':
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 32)
