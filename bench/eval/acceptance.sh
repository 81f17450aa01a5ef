#!/usr/bin/env bash
# The acceptance numbers of `transplant eval` on the two small trained models
# of ../shared/models, side by side with the numbers in their README: the
# bits-per-byte of A (Mistral tokenizer) and B (GPT-2 tokenizer), and of this
# project's mean, subword and OMP (k = 64, B as donor) transplants of A onto
# B's tokenizer against the reference transplants; then the reconstruction
# table of every method on A → B. The CLI's own tables, the JSON and a
# Markdown report with charts land in the output directory.
#
#   bench/eval/acceptance.sh [MODELS_DIR] [OUT_DIR]   # defaults: ../shared/models, bench/out/eval
#
# Slow on a small machine: five full scorings of heldout.txt.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PATH:/usr/local/go/bin"
models=${1:-../shared/models}
out=${2:-bench/out/eval}
mkdir -p "$out"
go build -o "$out/transplant" ./cmd/transplant

start=$SECONDS
"$out/transplant" eval -q --base "$models/A-mistral" --donor "$models/B-gpt2" \
  --methods mean,subword,omp --model "$models/B-gpt2" \
  --text "$models/heldout.txt" --report "$out/report" --json > "$out/eval.json"
echo "bits-per-byte: $((SECONDS - start)) s"

/usr/bin/python3 - "$out/eval.json" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
# The README of ../shared/models: PyTorch float32 scores of A and B, and
# the NumPy reference transplants of A onto B's tokenizer. Its "mean"
# initializes every row with the mean; this project's copies the shared
# rows and builds only the new ones.
ref = {"A-mistral": 1.8782, "B-gpt2": 1.9301, "mean": 4.339, "subword": 2.397, "omp": 2.095}
print(f"{'model':<12}{'bits/byte':>11}{'README':>9}{'diff':>9}{'tokens':>9}  verdict")
for m in rep["bits_per_byte"]:
    want = ref[m["name"]]
    got = m["bits_per_byte"]
    diff = got / want - 1
    model = m["name"] in ("A-mistral", "B-gpt2")
    ok = abs(diff) <= 0.005 if model else diff <= 0.01
    verdict = ("within 0.5%" if model else ("better" if diff < -0.01 else "within 1%")) if ok else "FAIL"
    print(f"{m['name']:<12}{got:>11.4f}{want:>9.3f}{100*diff:>+8.2f}%{m['Tokens']:>9}  {verdict}")
PY

echo
"$out/transplant" eval reconstruct -q --base "$models/A-mistral" --donor "$models/B-gpt2" \
  --methods mean,subword,knn,hybrid,omp --report "$out/reconstruction" | tee "$out/reconstruction.txt"
echo
"$out/transplant" eval efficiency --old "$models/A-mistral" --new "$models/B-gpt2" --text "$models/heldout.txt"
