#!/usr/bin/env bash
# Side-by-side OMP benchmark: Solve and the full-correlation baseline in
# the pure-Go and the OpenBLAS build, and scikit-learn's
# orthogonal_mp_gram, on one seeded problem, then one table.
#
#   bench/omp/run.sh [medium|small] [baseline-slice] [sklearn-slice]
#
# The problem is generated once into $OMP_BENCH_DIR (default
# /tmp/omp-bench/PROBLEM) so that every run sees the same data. The
# baseline and scikit-learn run on slices of the targets; their times are
# extrapolated linearly, and the table says from how many.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
problem=${1:-medium}
base=${2:-256}
sk=${3:-8}
dir=${OMP_BENCH_DIR:-/tmp/omp-bench/$problem}
out=${OMP_BENCH_OUT:-/tmp/omp-bench/results-$problem}
mkdir -p "$out"
go build -o "$out/bench-gonum" ./bench/omp
go build -tags openblas -o "$out/bench-openblas" ./bench/omp
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$out/bench-openblas" -problem "$problem" -data "$dir" -baseline "$base" -out "$out/openblas.json"
"$out/bench-gonum" -problem "$problem" -data "$dir" -baseline "$base" -out "$out/gonum.json"
/usr/bin/python3 bench/omp/sklearn_slice.py "$dir" "$sk" "$out/sklearn.json"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$out/bench-gonum" -report "$out/gonum.json" "$out/openblas.json" "$out/sklearn.json"
