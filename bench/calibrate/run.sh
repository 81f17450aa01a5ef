#!/usr/bin/env bash
# Head calibration's cost: wall time and peak memory of `transplant run
# --method mean` with and without `--calibrate-head --calibration-text T`,
# side by side, for two cases in one session (and, for the small case,
# with B as the donor: `--calibrate-to-donor`, and the default calibration
# with a donor, which blends the fits to the base and to the donor and fits
# recut shared rows):
#
#   small  the shared models: base A-mistral (vocab 32000, hidden 192, 4 layers)
#          onto B-gpt2's tokenizer (50257), T = models/calib.txt (0.9 MB)
#   large  a generated random-weight Llama checkpoint (vocab 128256, hidden
#          4096, 1 layer, GQA 32/8, intermediate 14336, BF16, untied lm_head,
#          Llama-3 tokenizer) onto GPT-2's tokenizer (50257 ids, 7047 of them
#          new), T = the first 32 KB of models/heldout.txt, cut at a line break
#          (it holds 30 of the new tokens; Qwen3's new tokens do not occur in
#          it at all, so with CALBENCH_NEW_TOK=.../qwen3 nothing gets fitted)
#
# Each command is timed with /usr/bin/time -v (wall clock, maximum resident
# set size), next to the largest live heap the garbage collector marked
# (GODEBUG=gctrace=1) and the memory its plan estimates (--dry-run), which
# also sets the collector's soft limit, so that the peak RSS follows the
# plan where the live heap is smaller; the calibrated runs' own
# calibration time (and the part of it the models' passes over the text
# took), fitted rows and occurrences come from their transplant.json.
# Prints a Markdown table, the calibrated/plain wall-time ratio per case
# and the calibrated run's wall time over one eval pass of the base.
#
#   bench/calibrate/run.sh
#
# Environment (all optional):
#   CALBENCH_MODEL       cache dir of the generated model (default /tmp/calbench/model;
#                        made once by genmodel.py, ~2.4 GB, reused if it exists)
#   CALBENCH_NEW_TOK     new tokenizer of the large case (default SHARED/tokenizers/gpt2)
#   CALBENCH_TEXT_BYTES  calibration text size of the large case (default 32768)
#   CALBENCH_CASES       the cases to run (default "small large")
#   SHARED               shared data dir (default /work/shared)
# The large case takes several minutes on 2 cores; the machine may be shared,
# so the load average is printed before and after.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
shared=${SHARED:-$(cd "$repo/../shared" && pwd)}
models="$shared/models"
model=${CALBENCH_MODEL:-/tmp/calbench/model}
newtok=${CALBENCH_NEW_TOK:-$shared/tokenizers/gpt2}
textbytes=${CALBENCH_TEXT_BYTES:-32768}
cases=" ${CALBENCH_CASES:-small large} "

work=$(mktemp -d /tmp/calbench.XXXXXX)
trap 'rm -rf "$work" "$model.partial.$$"' EXIT
bin="$work/transplant"
(cd "$repo" && go build -o "$bin" ./cmd/transplant)

# The generated model, cached: built in a side directory and renamed, so an
# existing $model is always complete.
if [ ! -d "$model" ]; then
  echo "generating $model ..." >&2
  tmp="$model.partial.$$"
  rm -rf "$tmp"
  /usr/bin/python3 "$here/genmodel.py" "$tmp"
  llama3="$shared/tokenizers/llama3"
  if [ -f "$llama3/tokenizer.json" ]; then
    cp "$llama3/tokenizer.json" "$tmp/"
  else
    gzip -dc "$llama3/tokenizer.json.gz" > "$tmp/tokenizer.json"
  fi
  [ -f "$llama3/tokenizer_config.json" ] && cp "$llama3/tokenizer_config.json" "$tmp/"
  mkdir -p "$(dirname "$model")"
  mv "$tmp" "$model"
fi

# First $textbytes bytes of heldout.txt, cut after the last line break.
text="$work/heldout-head.txt"
/usr/bin/python3 - "$models/heldout.txt" "$text" "$textbytes" <<'PY'
import sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
b = open(src, "rb").read(n)
if len(b) == n and b"\n" in b:
    b = b[: b.rindex(b"\n") + 1]
open(dst, "wb").write(b)
PY

rows=()
declare -A wall
# forward CASE MODEL TEXT: time `transplant eval` of the base over the
# calibration text, one forward pass with its logits, for scale.
forward() {
  echo "== $1 / eval of the base (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  /usr/bin/time -v -o "$work/time.txt" "$bin" eval --model "$2" --text "$3" -q >/dev/null 2>&1 || true
  local w rss
  w=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s}' "$work/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/time.txt")
  echo "   wall ${w}s, peak RSS ${rss} MiB" >&2
  rows+=("| $1 | eval of the base over the text (one forward pass) | $w | $rss | - | - | - | - | - | - |")
  wall["$1/eval"]=$w
}
# measure CASE LABEL OUT ARGS...: time one `transplant run`, add a table row.
measure() {
  local cs=$1 label=$2 out=$3
  shift 3
  echo "== $cs / $label (load: $(cut -d' ' -f1-3 /proc/loadavg))" >&2
  local rc=0
  GODEBUG=gctrace=1 /usr/bin/time -v -o "$work/time.txt" "$bin" run "$@" --out "$out" -q >"$work/log.txt" 2>&1 || rc=$?
  local w rss cal pass fit occ plan live
  plan=$("$bin" run "$@" --dry-run --json 2>/dev/null | /usr/bin/python3 -c 'import json, sys; print("%.0f" % (json.load(sys.stdin)["memory_bytes"] / 2**20))' || echo -)
  w=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s}' "$work/time.txt")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$work/time.txt")
  # The largest live heap a collection marked (gctrace's "start->end->live MB").
  live=$(grep -o '[0-9]*->[0-9]*->[0-9]* MB' "$work/log.txt" | awk -F'->' '{split($3, a, " "); if (a[1] + 0 > m) m = a[1] + 0} END {printf "%d", m}' || true)
  cal=- pass=- fit=- occ=-
  if [ "$rc" -ne 0 ]; then
    echo "   FAILED (exit $rc):" >&2
    sed 's/^/   | /' "$work/log.txt" >&2
    cal="FAILED (exit $rc)"
  elif [ -f "$out/transplant.json" ]; then
    read -r cal pass fit occ < <(/usr/bin/python3 -c '
import json, sys
c = json.load(open(sys.argv[1])).get("calibration") or {}
f = lambda k, fmt: fmt % c[k] if k in c else "-"
print(f("seconds", "%.1f"), f("pass_seconds", "%.1f"), f("fitted", "%d"), f("occurrences", "%d"))' "$out/transplant.json")
  fi
  echo "   wall ${w}s, peak RSS ${rss} MiB" >&2
  case $label in run*) wall["$cs/plain"]=$w ;; *calibrate-to-donor*) wall["$cs/donor"]=$w ;; *--donor*) wall["$cs/blend"]=$w ;; *) wall["$cs/cal"]=$w ;; esac
  rows+=("| $cs | $label | $w | $rss | $live | $plan | $cal | $pass | $fit | $occ |")
  rm -rf "$out"
}

if [[ $cases == *" small "* ]]; then
  small=(--base "$models/A-mistral" --tokenizer "$models/B-gpt2" --method mean)
  forward small "$models/A-mistral" "$models/calib.txt"
  measure small "run --method mean" "$work/out1" "${small[@]}"
  measure small "+ --calibrate-head (calib.txt, $(wc -c <"$models/calib.txt") B)" "$work/out2" \
    "${small[@]}" --calibrate-head --calibration-text "$models/calib.txt"
  measure small "+ --calibrate-to-donor (B, calib.txt)" "$work/out5" \
    "${small[@]}" --donor "$models/B-gpt2" --calibrate-to-donor --calibration-text "$models/calib.txt"
  measure small "+ --calibrate-head with --donor B (blend, recut rows; calib.txt)" "$work/out6" \
    "${small[@]}" --donor "$models/B-gpt2" --calibrate-head --calibration-text "$models/calib.txt"
fi

if [[ $cases == *" large "* ]]; then
  large=(--base "$model" --tokenizer "$newtok" --method mean)
  forward large "$model" "$text"
  measure large "run --method mean" "$work/out3" "${large[@]}"
  measure large "+ --calibrate-head (heldout head, $(wc -c <"$text") B)" "$work/out4" \
    "${large[@]}" --calibrate-head --calibration-text "$text"
fi

echo
echo "$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 2^20}' /proc/meminfo); load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "small: A-mistral (32000 x 192, 4 layers) -> B-gpt2 tokenizer; large: $(basename "$model") (128256 x 4096, 1 layer) -> $(basename "$newtok") tokenizer"
echo
echo "| case | command | wall s | peak RSS MiB | largest live heap MiB | plan MiB (--dry-run) | calibration s (transplant.json) | of which passes s | fitted rows | occurrences |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
for cs in small large; do
  awk -v c="$cs" -v p="${wall[$cs/plain]:-0}" -v q="${wall[$cs/cal]:-0}" 'BEGIN {
    if (p > 0 && q > 0) printf "%s: wall time calibrated / plain = %.1f s / %.1f s = %.2fx\n", c, q, p, q / p }'
  awk -v c="$cs" -v e="${wall[$cs/eval]:-0}" -v q="${wall[$cs/cal]:-0}" 'BEGIN {
    if (e > 0 && q > 0) printf "%s: wall time calibrated / one eval pass of the base = %.1f s / %.1f s = %.2fx\n", c, q, e, q / e }'
done
awk -v p="${wall[small/plain]:-0}" -v q="${wall[small/donor]:-0}" 'BEGIN {
  if (p > 0 && q > 0) printf "small: wall time calibrated to the donor / plain = %.1f s / %.1f s = %.2fx\n", q, p, q / p }'
awk -v p="${wall[small/cal]:-0}" -v q="${wall[small/blend]:-0}" 'BEGIN {
  if (p > 0 && q > 0) printf "small: wall time of the default calibration with a donor / without = %.1f s / %.1f s = %.2fx\n", q, p, q / p }'
