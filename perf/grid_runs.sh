#!/usr/bin/env bash
# grid_runs.sh GRID OUT.csv [RUNS] [REPEATS] [CLUSTER_OUT]: a layer grid at 4 ranks
# as 2 emulated nodes, RUNS times (default 3). Each run first calibrates (paramoe
# calibrate), then measures every point of GRID with that calibration (`bench
# grid`, the options taking turns, REPEATS timed repeats each, default 9) and
# appends to OUT. The host's speed drifts between runs on a shared machine, so the
# plot scripts take the median over runs of every measured and predicted time.
# With CLUSTER_OUT, the first run's cluster file is copied there.
# Run from the repository root after ./setup.sh and a build.
set -euo pipefail
grid=$1
out=$2
runs=${3:-3}
repeats=${4:-9}
cluster_out=${5:-}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f "$out"
for r in $(seq "$runs"); do
  mpirun --oversubscribe -np 4 build/app/paramoe calibrate --ranks-per-node 2 --repeats 5 \
    --name "2-core EPYC, 4 ranks as 2 x 2" --out "$tmp/cluster-$r.toml" </dev/null | tail -1
  if [[ $r == 1 && -n $cluster_out ]]; then cp "$tmp/cluster-$r.toml" "$cluster_out"; fi
  mpirun --oversubscribe -np 4 build/app/paramoe bench grid "$grid" --ranks-per-node 2 \
    --cluster "$tmp/cluster-$r.toml" --repeats "$repeats" --warmup 1 --csv "$out" </dev/null |
    grep -c "grid point" | sed "s/^/run $r: points /"
done
