#!/usr/bin/env bash
# Forward-pass throughput on the shared models, Go next to PyTorch, in one run.
#
#   bench/forward/run.sh [MODELS_DIR]      (default ../shared/models)
#
# For each model it scores the first $WINDOWS windows of heldout.txt (reference
# token ids from eval/testdata/heldout) with
#   - the Go forward pass, pure-Go build and OpenBLAS build, on 1 core and on
#     all cores (GOMAXPROCS=N, N windows at once);
#   - the PyTorch reference (scripts/golden/forward/reference.py, float32) with
#     1 thread and with N threads (the better of torch.set_num_threads(N) and
#     of 1 intra-op thread over an N-thread OpenBLAS);
# best of $REPEATS runs each, interleaved so that load from other processes
# hits all alike. It prints tokens per second and Go/PyTorch ratios (the
# target is ≥ 0.5: within 2× of PyTorch).
#
# OpenBLAS runs single-threaded inside each Go worker (OPENBLAS_NUM_THREADS=1):
# eval parallelizes over windows, and a multi-threaded OpenBLAS called from
# several goroutines at once oversubscribes the cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
models=${1:-../shared/models}
WINDOWS=${WINDOWS:-16}
REPEATS=${REPEATS:-3}
N=$(nproc)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

go build -o "$out/go-gonum" ./bench/forward
go build -tags openblas -o "$out/go-openblas" ./bench/forward

for model in A-mistral B-gpt2; do
  dir=$models/$model
  ids=eval/testdata/heldout/$model.json.gz
  for rep in $(seq "$REPEATS"); do
    for threads in 1 "$N"; do
      for build in gonum openblas; do
        OPENBLAS_NUM_THREADS=1 GOMAXPROCS=$threads "$out/go-$build" \
          -model "$dir" -ids "$ids" -windows "$WINDOWS" -workers "$threads" |
          sed "s/^{/{\"model\":\"$model\",\"threads\":$threads,/" >>"$out/results"
      done
      # PyTorch gets its best of two settings: intra-op threads and
      # OpenBLAS threads both N, or only OpenBLAS's (its OpenMP threads spin
      # and can collapse when the cores are shared).
      for omp in $(printf '%s\n' 1 "$threads" | sort -u); do
        OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$omp /usr/bin/python3 bench/forward/torch_ref.py \
          --model "$dir" --ids "$ids" --windows "$WINDOWS" --threads "$omp" |
          sed "s/^{/{\"model\":\"$model\",\"threads\":$threads,/" >>"$out/results"
      done
    done
  done
done

/usr/bin/python3 - "$out/results" "$WINDOWS" "$REPEATS" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
best = {}
for r in rows:
    key = (r["model"], r["impl"], r["threads"])
    best[key] = max(best.get(key, 0), r["tokens_per_second"])
    nll = best.setdefault(key + ("nll",), r["nll"])
print("forward pass, first %s windows of heldout.txt, best of %s; tokens/s" % (sys.argv[2], sys.argv[3]))
print("%-10s %-8s %12s %12s %12s %10s %10s" % ("model", "threads", "go-gonum", "go-openblas", "pytorch", "gonum/pt", "openblas/pt"))
for model in sorted({k[0] for k in best if len(k) == 3}):
    for threads in sorted({k[2] for k in best if len(k) == 3 and k[0] == model}):
        g = best[(model, "go-gonum", threads)]
        o = best[(model, "go-openblas", threads)]
        p = best[(model, "pytorch", threads)]
        print("%-10s %-8d %12.0f %12.0f %12.0f %10.2f %10.2f" % (model, threads, g, o, p, g / p, o / p))
for model in sorted({k[0] for k in best if len(k) == 3}):
    n = {impl: best[(model, impl, 1, "nll")] for impl in ("go-gonum", "go-openblas", "pytorch")}
    print("%s NLL of the windows: %s" % (model, ", ".join("%s %.4f" % kv for kv in n.items())))
PY
