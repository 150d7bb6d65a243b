#!/usr/bin/env bash
# hexa_sweep.sh [OUT.csv] [RUNS]: model-centric (s1) against data-centric (dc)
# execution over inputs/grids/hexa-sweep-small.toml (tokens per step × expert size,
# two layouts) at 4 ranks as 2 emulated nodes, priced with this machine's cluster
# file. Each invocation of `paramoe bench grid` measures every point RUNS times
# (default 3, each the median of 5 repeats) and appends to OUT; the plot script
# takes the median over runs. Then: perf/plot_hexa_sweep.py OUT perf/results/hexa_sweep
# Run from the repository root after ./setup.sh and a build.
set -euo pipefail
out=${1:-perf/results/hexa_sweep.csv}
runs=${2:-3}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
rm -f "$out"
for r in $(seq "$runs"); do
  mpirun --oversubscribe -np 4 build/app/paramoe bench grid inputs/grids/hexa-sweep-small.toml \
    --ranks-per-node 2 --cluster inputs/clusters/ci-2core-4ranks.toml --repeats 5 --warmup 1 \
    --csv "$out" </dev/null | grep -c "grid point" | sed "s/^/run $r: points /"
done
