#!/usr/bin/env bash
# The cluster flow of `transplant batch`, end to end on a real one-node
# Slurm (run-array.sh starts and stops it): an array of 4 tasks runs a job
# file of transplants of the bundled example — two methods, one solve
# split in 3 shards, one evaluation — then the gather step merges the
# shards, applies the merged recipe and writes the summary. It checks every
# output, the summary, and that the split solve wrote the weights a direct
# run writes. Prints one line saying ok or FAILED; skips (exit 0) when not
# root.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
if [ "$(id -u)" != 0 ]; then
  echo "scripts/slurm/test.sh: skipped: needs root to start a Slurm cluster"
  exit 0
fi
shared=$(mktemp -d)
trap 'rm -rf "$shared"' EXIT
go build -o "$shared/transplant" ./cmd/transplant
example=$(pwd)/testdata/example
head -c 4000 "$example/heldout.txt" > "$shared/text.txt"
cat > "$shared/jobs.yaml" <<YAML
defaults:
  base: $example/base
  tokenizer: $example/new-tokenizer
jobs:
  - out: ./out/subword
    method: subword
  - out: ./out/mean
    method: mean
    eval: {text: ./text.txt, baseline: $example/base}
  - out: ./out/randn-split
    method: randn
    seed: 1
    shards: 3
YAML
bin="$shared/transplant"
check='set -e
cd "'"$shared"'"
"'"$bin"'" batch jobs.yaml --gather -q > gather.md
for out in subword mean randn-split; do
  test -s "out/$out/model.safetensors" && test -s "out/$out/transplant.json" || { echo "no output out/$out" >&2; exit 1; }
done
python3 - <<PY
import json
s = json.load(open("jobs.batch/batch.json"))
t = s["totals"]
assert t["done"] == 3 and t["failed"] == 0 and t["pending"] == 0, t
evals = [j for j in s["jobs"] if j.get("eval")]
assert len(evals) == 1 and evals[0]["eval"]["ratio"] > 1, evals
PY
ls jobs.batch/units | grep -q "solve-.*-2-of-3" || { echo "no shard records" >&2; exit 1; }
"'"$bin"'" run -q --base "'"$example"'/base" --tokenizer "'"$example"'/new-tokenizer" --method randn --seed 1 --out direct > /dev/null
cmp direct/model.safetensors out/randn-split/model.safetensors'
if ./scripts/slurm/run-array.sh --tasks 4 --gather "$check" -- \
  bash -c 'cd "$0" && ./transplant batch jobs.yaml -q' "$shared"; then
  echo "slurm array of transplant batch and gather: ok"
else
  echo "slurm array of transplant batch and gather: FAILED"
  exit 1
fi
