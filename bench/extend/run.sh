#!/usr/bin/env bash
# Learning 10,000 new tokens on ~100 MB of text: time and peak memory.
#
#   bench/extend/run.sh [TOKENIZER_DIR ...]
#
# The text (not committed) is Go and Python standard-library sources with
# the multi-script corpus of extend/testdata mixed in, made once into
# bench/out/extend/text.txt. Default tokenizers: GPT-2 (byte-level BPE),
# Mistral (SentencePiece BPE with byte fallback) and T5 (Unigram) from
# tokenizer/testdata. The machine is shared: the load average is printed
# before and after each run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export PATH="$PATH:/usr/local/go/bin"
out="$repo/bench/out/extend"
mkdir -p "$out"
text="$out/text.txt"
size=${SIZE:-100000000}
if [ ! -s "$text" ]; then
  /usr/bin/python3 - "$text" "$size" "$repo/extend/testdata/corpus.txt.gz" <<'PY'
import glob, gzip, itertools, sys
out, size, extra = sys.argv[1], int(sys.argv[2]), sys.argv[3]
multi = gzip.open(extra, "rt", encoding="utf-8").read()
go = sorted(glob.glob("/usr/local/go/src/**/*.go", recursive=True))
py = sorted(glob.glob("/usr/lib/python3*/**/*.py", recursive=True))
n = 0
with open(out, "w", encoding="utf-8") as f:
    for i, (a, b) in enumerate(itertools.zip_longest(go, py)):
        for p in (a, b):
            if p is None:
                continue
            try:
                s = open(p, encoding="utf-8").read()
            except (OSError, UnicodeDecodeError):
                continue
            f.write(s + "\n")
            n += len(s.encode()) + 1
        if i % 200 == 0:
            f.write(multi)
            n += len(multi.encode())
        if n >= size:
            break
PY
fi
(cd "$repo" && go build -o "$out/extend-bench" ./bench/extend)
if [ $# -eq 0 ]; then
  set -- "$repo/tokenizer/testdata/tokenizers/gpt2" "$repo/tokenizer/testdata/tokenizers/mistral-7b-v0.1" "$repo/tokenizer/testdata/tokenizers/t5-small"
fi
printf 'text: %s (%s bytes), %s cores\n' "$text" "$(wc -c <"$text")" "$(nproc)"
for tok in "$@"; do
  echo "== $(basename "$tok") (load before: $(cut -d' ' -f1-3 /proc/loadavg))"
  /usr/bin/time -v "$out/extend-bench" -tokenizer "$tok" -corpus "$text" -add "${ADD:-10000}" 2>"$out/time.txt"
  grep -E "Maximum resident set size|Elapsed \(wall clock\)|Percent of CPU|User time|System time" "$out/time.txt" | sed 's/^\s*/  /'
  echo "  load after: $(cut -d' ' -f1-3 /proc/loadavg)"
done
