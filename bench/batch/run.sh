#!/usr/bin/env bash
# One solve and N applies against N separate runs: N fake fine-tunes of the
# shared model A (body perturbed, same vocabulary and shapes) onto B's
# tokenizer with omp (B as donor), as `transplant batch` (the N jobs share
# one recipe) and as N `transplant run`s, timed in one session. It also
# checks that the two ways write the same weights.
#
#   bench/batch/run.sh [N] [K] [MODELS_DIR]      # defaults: 8, 16, ../shared/models
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
n=${1:-8} k=${2:-16} models=$(cd "${3:-../shared/models}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/transplant" ./cmd/transplant
go run ./bench/batch -base "$models/A-mistral" -out "$work/tunes" -n "$n"
{
  echo "defaults: {tokenizer: $models/B-gpt2, donor: $models/B-gpt2, method: omp, k: $k}"
  echo "jobs:"
  echo "  - base: ./tunes/tune-*"
  echo "    out: ./out/{base}"
} > "$work/jobs.yaml"

start=$(date +%s.%N)
"$work/transplant" batch "$work/jobs.yaml" -q > "$work/batch.md"
batch=$(echo "$(date +%s.%N) - $start" | bc)

start=$(date +%s.%N)
for i in $(seq 0 $((n - 1))); do
  "$work/transplant" run -q --base "$work/tunes/tune-$i" --tokenizer "$models/B-gpt2" --donor "$models/B-gpt2" \
    --method omp --k "$k" --out "$work/separate/tune-$i" > /dev/null
done
separate=$(echo "$(date +%s.%N) - $start" | bc)

for i in $(seq 0 $((n - 1))); do
  cmp "$work/out/tune-$i/model.safetensors" "$work/separate/tune-$i/model.safetensors"
done
solves=$(ls "$work"/jobs.batch/recipes/*/recipe | wc -l)
printf '%d fine-tunes, omp k=%d: batch %.1f s (%d solve, %d applies), %d separate runs %.1f s; ratio %.2f; weights identical\n' \
  "$n" "$k" "$batch" "$solves" "$n" "$n" "$separate" "$(echo "$separate / $batch" | bc -l)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
