#!/usr/bin/env bash
# Checkpoint I/O against raw sequential disk bandwidth, measured in the same run:
# the tiny and the ~400 MB model at 1, 2 and 4 ranks in two layouts.
# Usage: perf/ckpt_bench.sh [OUT.csv] [DIR]   (DIR must be on the disk to measure)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
csv=${1:-perf/results/ckpt_io.csv}
dir=${2:-$here/ckpt-bench.tmp}
paramoe=${PARAMOE:-$here/build/app/paramoe}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
for cfg in inputs/moe-tiny.toml inputs/bench/ckpt-large.toml; do
  # world mp ep esp
  for layout in "1 1 1 1" "2 1 2 1" "4 2 2 2" "4 1 4 1"; do
    set -- $layout
    mpiexec --oversubscribe -np "$1" "$paramoe" bench ckpt "$here/$cfg" \
      --set parallel.mp="$2" --set parallel.ep="$3" --set parallel.esp="$4" \
      --dir "$dir" --repeats 5 --csv "$csv"
  done
done
