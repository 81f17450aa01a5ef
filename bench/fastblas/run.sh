#!/usr/bin/env bash
# Sgemm side by side: gonum, the pure-Go kernel and OpenBLAS in one binary
# (built with -tags openblas), on the hot paths' shapes, one thread and all
# cores; then how BLAS threads and eval's window workers combine, in both
# builds, on a model ($MODEL, default ../shared/models/A-mistral).
#
#   bench/fastblas/run.sh [flags of bench/fastblas, e.g. -large -reps 7]
#
# Other jobs on the machine skew single runs: implementations take turns
# within each repetition and the tables quote best and median.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -tags openblas -o "$out/fastblas" ./bench/fastblas
go build -o "$out/threads-gonum" ./bench/fastblas/threads
go build -tags openblas -o "$out/threads-openblas" ./bench/fastblas/threads
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$out/fastblas" "$@"
model=${MODEL:-../shared/models/A-mistral}
if [ -d "$model" ]; then
  echo
  "$out/threads-gonum" -model "$model"
  echo
  "$out/threads-openblas" -model "$model"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
