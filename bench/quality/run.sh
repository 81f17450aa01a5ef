#!/usr/bin/env bash
# The quality table of the shared models: A (Mistral's tokenizer) moved onto
# B's (GPT-2's) tokenizer with every method, scored by `transplant eval` on
# each text given (default: the dev text, ../shared/models/heldout.txt), as
# bits per byte relative to A on its own tokenizer, split into the bytes of
# new-token targets, of targets right after a new token and of shared ones.
# B, trained natively on the new tokenizer, is the row to beat.
#
#   bench/quality/run.sh [-m METHODS] [-d DONOR|-n] [-b BASE] [-t TOKENIZER] [-x 'MORE EVAL FLAGS'] [TEXT...]
#
# -m takes eval's --methods list (METHOD, INPUT/HEAD, or auto); -n runs
# without a donor; -x passes method knobs such as '--subword-combine last
# --calibration-text calib.txt'. Keep every text out of what a method was
# fitted on.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
models=$(cd ../shared/models && pwd)
methods="zero,mean,subword,knn,hybrid,omp,omp/mean"
base=$models/A-mistral tok=$models/B-gpt2 donor=$models/B-gpt2 native=$models/B-gpt2
extra=""
while getopts "m:d:nb:t:x:" o; do
  case $o in
    m) methods=$OPTARG ;;
    d) donor=$OPTARG ;;
    n) donor="" native="" ;;
    b) base=$OPTARG ;;
    t) tok=$OPTARG native="" ;;
    x) extra=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- "$models/heldout.txt"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/transplant" ./cmd/transplant
for text in "$@"; do
  args=(eval -q --base "$base" --tokenizer "$tok" --methods "$methods" --text "$text" --json)
  [ -n "$donor" ] && args+=(--donor "$donor")
  [ -n "$native" ] && args+=(--model "$native")
  # shellcheck disable=SC2206
  [ -n "$extra" ] && args+=($extra)
  start=$SECONDS
  "$work/transplant" "${args[@]}" > "$work/eval.json"
  python3 - "$work/eval.json" "$text" "$((SECONDS - start))" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
models = rep["bits_per_byte"]
split = next((m["split"] for m in models if m.get("split")), None)
share = lambda k: f" ({100*split[k]['byte_share']:.0f}%)" if split else ""
print(f"\n{sys.argv[2]} ({sys.argv[3]} s)")
print(f"| method (input/head) | total | new tokens{share('new')} | after a new token{share('after_new')} | shared tokens{share('shared')} |")
print("|---|---|---|---|---|")
for m in models:
    s = m.get("split")
    cols = [f"{s[k]['bits_per_byte']:.3f}" for k in ("new", "after_new", "shared")] if s else ["", "", ""]
    name = m["name"] + (" (base, own tokenizer)" if m.get("baseline") else "")
    print(f"| {name} | {m.get('ratio_to_baseline', 1):.4f} | " + " | ".join(cols) + " |")
PY
done
