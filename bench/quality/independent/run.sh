#!/usr/bin/env bash
# The ratio of a model's bits per byte to a baseline's, on each text, scored
# outside the Go code (ids.js: the official tokenizers library; score.py:
# PyTorch and scripts/golden/forward/reference.py), to check `transplant
# eval --model MODEL --baseline BASELINE --text TEXT`.
#
#   bench/quality/independent/run.sh MODEL_DIR BASELINE_DIR TEXT...
#
# Installs the npm tokenizers package the goldens use into a cache
# directory (TOKENIZERS_NODE_PATH, default /tmp/transplant-npm) once.
set -euo pipefail
[ $# -ge 3 ] || { sed -n 2,9p "$0"; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
model=$1 baseline=$2; shift 2
npmdir=${TOKENIZERS_NODE_PATH:-/tmp/transplant-npm}
version=$(sed -n 's/.*"tokenizers": "\(.*\)".*/\1/p' "$here/../../../scripts/golden/forward/package.json")
[ -d "$npmdir/node_modules/tokenizers" ] || npm install --prefix "$npmdir" "tokenizers@$version" >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for text in "$@"; do
  NODE_PATH="$npmdir/node_modules" node "$here/ids.js" "$model/tokenizer.json" "$text" "$work/model.json"
  NODE_PATH="$npmdir/node_modules" node "$here/ids.js" "$baseline/tokenizer.json" "$text" "$work/base.json"
  printf '%s: ' "$(basename "$text")"
  /usr/bin/python3 "$here/score.py" "$work/model.json" "$model" "$work/base.json" "$baseline"
done
