#!/usr/bin/env bash
# End-to-end check of run-array.sh with a stand-in workload: four array
# tasks each write their task id and count to a shared directory; the
# gather step checks that all four came, once each. Prints one
# line saying ok or FAILED. Skips (exit 0) when not root.
set -euo pipefail
cd "$(dirname "$0")"
if [ "$(id -u)" != 0 ]; then
  echo "scripts/slurm/test.sh: skipped: needs root to start a Slurm cluster"
  exit 0
fi
shared=$(mktemp -d)
trap 'rm -rf "$shared"' EXIT
check='for i in 0 1 2 3; do
  got=$(cat "'"$shared"'/task-$i" 2>/dev/null || true)
  [ "$got" = "$i 4" ] || { echo "task $i wrote \"$got\", want \"$i 4\"" >&2; exit 1; }
done
[ "$(ls "'"$shared"'" | wc -l)" = 4 ] || { echo "extra files: $(ls "'"$shared"'")" >&2; exit 1; }'
if ./run-array.sh --tasks 4 --gather "$check" -- \
  bash -c 'echo "$SLURM_ARRAY_TASK_ID $SLURM_ARRAY_TASK_COUNT" > "$0/task-$SLURM_ARRAY_TASK_ID"' "$shared"; then
  echo "slurm array and gather: ok"
else
  echo "slurm array and gather: FAILED"
  exit 1
fi
