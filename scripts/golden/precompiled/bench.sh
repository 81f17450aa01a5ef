#!/usr/bin/env bash
# Side-by-side speed of tokenizer/internal/precompiled and the reference
# (Hugging Face tokenizers' Node binding) on the same corpora, in MB/s.
# Needs `npm install` in this directory first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"

go_out="$(cd "$repo" && go test -run '^$' -bench '^BenchmarkNormalize$' -benchtime 1s ./tokenizer/internal/precompiled/)"
ref_out="$(node "$here/bench.js")"

printf '%-8s %10s %10s %8s\n' corpus go_MB/s ref_MB/s go/ref
while IFS=$'\t' read -r name ref; do
	go_mbs="$(awk -v n="BenchmarkNormalize/$name-" 'index($1, n) == 1 { for (i = 1; i < NF; i++) if ($(i+1) == "MB/s") print $i }' <<<"$go_out")"
	printf '%-8s %10s %10s %8.2f\n' "$name" "$go_mbs" "$ref" "$(awk -v a="$go_mbs" -v b="$ref" 'BEGIN { print a / b }')"
done <<<"$ref_out"
