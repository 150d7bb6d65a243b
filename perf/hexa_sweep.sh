#!/usr/bin/env bash
# hexa_sweep.sh [OUT.csv] [RUNS]: model-centric (s1) against data-centric (dc)
# execution over inputs/grids/hexa-sweep-small.toml (tokens per step × expert size,
# two layouts) at 4 ranks as 2 emulated nodes. Each run first calibrates (paramoe
# calibrate), then measures every point with that calibration (`bench grid`, the
# modes taking turns, 9 timed repeats each) and appends to OUT; RUNS defaults to
# 3. The plot script takes the median over runs of every measured and predicted
# time: the machine's speed drifts between runs on a shared host.
# Then: perf/plot_hexa_sweep.py OUT perf/results/hexa_sweep
# Run from the repository root after ./setup.sh and a build.
set -euo pipefail
out=${1:-perf/results/hexa_sweep.csv}
runs=${2:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f "$out"
for r in $(seq "$runs"); do
  mpirun --oversubscribe -np 4 build/app/paramoe calibrate --ranks-per-node 2 --repeats 5 \
    --out "$tmp/cluster.toml" </dev/null | tail -1
  mpirun --oversubscribe -np 4 build/app/paramoe bench grid inputs/grids/hexa-sweep-small.toml \
    --ranks-per-node 2 --cluster "$tmp/cluster.toml" --repeats 9 --warmup 1 \
    --csv "$out" </dev/null | grep -c "grid point" | sed "s/^/run $r: points /"
done
