#!/usr/bin/env bash
# grid_small.sh [OUT.csv] [RUNS] [CLUSTER_OUT]: the Parm-style layer grid
# (inputs/grids/parm-small.toml) at 4 ranks as 2 emulated nodes, RUNS times
# (default 3). Each run first calibrates (paramoe calibrate), then measures every
# point under replicated, s1, s2 and auto with that calibration (`bench grid`, the
# options taking turns, 15 timed repeats each) and appends to OUT. The machine's
# speed drifts between runs on a shared host, so perf/plot_grid.py takes the median
# over runs of every measured and predicted time. The first run's cluster file is
# copied to CLUSTER_OUT (default inputs/clusters/ci-2core-4ranks.toml).
# Then: perf/plot_grid.py OUT perf/results/grid_small
# Run from the repository root after ./setup.sh and a build.
set -euo pipefail
out=${1:-perf/results/grid_small.csv}
runs=${2:-3}
cluster_out=${3:-inputs/clusters/ci-2core-4ranks.toml}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f "$out"
for r in $(seq "$runs"); do
  mpirun --oversubscribe -np 4 build/app/paramoe calibrate --ranks-per-node 2 --repeats 5 \
    --name "2-core EPYC, 4 ranks as 2 x 2" --out "$tmp/cluster-$r.toml" </dev/null | tail -1
  [[ $r == 1 ]] && cp "$tmp/cluster-$r.toml" "$cluster_out"
  mpirun --oversubscribe -np 4 build/app/paramoe bench grid inputs/grids/parm-small.toml \
    --ranks-per-node 2 --cluster "$tmp/cluster-$r.toml" --repeats 15 --warmup 1 \
    --csv "$out" </dev/null | grep -c "grid point" | sed "s/^/run $r: points /"
done
