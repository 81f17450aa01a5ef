#!/usr/bin/env bash
# Byte identity of transplant outputs across refactors: runs every method on
# both tables of the shared models (A onto B's tokenizer, B as donor where a
# method uses one) and prints the sha256 of each output's tensors, in name
# order (tensors_sha256.py), whatever the files' layout. With
# --check it compares them with the hashes recorded in sha256.txt beside this
# script and fails on any difference.
#
#   bench/identity/run.sh [--check] [--bin TRANSPLANT] [--only REGEX] [MODELS_DIR]
#
# Record new hashes only when a change is meant to change rows, and say so
# in the commit message.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
export PATH="$PATH:/usr/local/go/bin"
check=0 bin="" only=.
while [ $# -gt 0 ]; do
  case $1 in
    --check) check=1; shift ;;
    --bin) bin=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) break ;;
  esac
done
models=${1:-../shared/models}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "$bin" ]; then
  bin=$work/transplant
  go build -o "$bin" ./cmd/transplant
fi

# name | arguments
cases=(
  "zero|--method zero"
  "mean|--method mean"
  "randn|--method randn --seed 7"
  "subword|--method subword"
  "subword-last-first|--method subword --subword-combine last --subword-combine-head first"
  "subword-length|--method subword --subword-combine length --subword-combine-head length"
  "knn|--donor $models/B-gpt2 --method knn"
  "knn-sparsemax|--donor $models/B-gpt2 --method knn --weighting sparsemax --k 8 --temperature 0.05"
  "hybrid|--donor $models/B-gpt2 --method hybrid"
  "hybrid-nodonor|--method hybrid"
  "omp-k16|--donor $models/B-gpt2 --method omp --k 16"
  "omp-in-mean-head|--donor $models/B-gpt2 --method omp --k 8 --head-method mean"
)
got=$work/got.txt
: > "$got"
for c in "${cases[@]}"; do
  name=${c%%|*} args=${c#*|}
  [[ $name =~ $only ]] || continue
  # shellcheck disable=SC2086
  "$bin" run -q --base "$models/A-mistral" --tokenizer "$models/B-gpt2" $args --out "$work/$name" > /dev/null
  sum=$(python3 "$here/tensors_sha256.py" "$work/$name")
  echo "$name $sum" | tee -a "$got"
  rm -rf "${work:?}/$name"
done
if [ $check = 1 ]; then
  bad=0
  while read -r name sum; do
    want=$(awk -v n="$name" '$1 == n { print $2 }' "$here/sha256.txt")
    if [ "$sum" != "$want" ]; then
      echo "$name: $sum, recorded ${want:-nothing}" >&2
      bad=1
    fi
  done < "$got"
  [ $bad = 0 ] || { echo "outputs differ from sha256.txt" >&2; exit 1; }
  echo "identical to sha256.txt"
fi
