#!/usr/bin/env bash
# Side-by-side tokenizer speed: transplant (Go) and the Hugging Face
# tokenizers library (Rust, through its npm binding) encode the same
# >= 10 MB mixed text with the same tokenizers, single-threaded and on all
# cores, in one run. Prints throughput and the Go/Rust time ratios.
#
#   bench/tokenizer/run.sh [TOKENIZER_DIR ...]
#
# Default tokenizers: Llama 3 and Qwen 3 from ../shared/tokenizers. The text
# is made by scripts/golden/tokenizer/make_corpus.py (12 MB).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
out="$repo/bench/out/tokenizer"
mkdir -p "$out"
text="$out/text.txt"
if [ ! -s "$text" ]; then
  /usr/bin/python3 "$repo/scripts/golden/tokenizer/make_corpus.py" --bytes 12000000 "$text"
fi
if [ ! -d "$here/node_modules/tokenizers" ]; then
  (cd "$here" && npm install --no-audit --no-fund --silent)
fi
(cd "$repo" && go build -o "$out/gobench" ./bench/tokenizer)
if [ $# -eq 0 ]; then
  set -- "$repo/../shared/tokenizers/llama3" "$repo/../shared/tokenizers/qwen3"
fi
printf 'text: %s (%s bytes), %s cores\n' "$text" "$(wc -c <"$text")" "$(nproc)"
for tok in "$@"; do
  name="$(basename "$tok")"
  go_out="$("$out/gobench" -tokenizer "$tok" -text "$text")"
  rust1="$(cd "$here" && RAYON_NUM_THREADS=1 node bench.js "$tok" "$text")"
  rustn="$(cd "$here" && node bench.js "$tok" "$text")"
  gotok=$(awk '/^go tokens/ {print $3}' <<<"$go_out")
  rusttok=$(awk '/^rust tokens/ {print $3; exit}' <<<"$rust1")
  g1=$(awk '/^go single/ {print $3}' <<<"$go_out")
  gn=$(awk '/^go batch/ {print $3}' <<<"$go_out")
  r1=$(awk '/^rust single/ {print $3}' <<<"$rust1")
  rn=$(awk '/^rust batch/ {print $3}' <<<"$rustn")
  echo "== $name"
  printf '%s\n%s\n%s\n' "$go_out" "$rust1" "$rustn" | grep -v tokens | sed 's/^/  /'
  if [ "$gotok" != "$rusttok" ]; then
    echo "  TOKEN COUNTS DIFFER: go $gotok, rust $rusttok"
  else
    echo "  tokens: $gotok on both sides"
  fi
  awk -v g1="$g1" -v r1="$r1" -v gn="$gn" -v rn="$rn" 'BEGIN {
    printf "  single-threaded: go/rust time %.2fx\n", g1 / r1
    printf "  all cores:       go/rust time %.2fx (go batch vs rust batch)\n", gn / rn
    printf "  go all cores vs rust single: %.2fx\n", gn / r1
  }'
done
