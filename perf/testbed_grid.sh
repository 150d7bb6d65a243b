#!/usr/bin/env bash
# perf/testbed_grid.sh OUT_PREFIX PROFILE [RUNS=1] [REPEATS=5]: Parm's layer grid
# (inputs/grids/parm-testbed.toml, 64 points at mp = esp = ep = 2) on the
# time-dilated per-rank testbed (2 nodes x 2 ranks, eager sends up to 1 MiB, root
# needed): `bench grid` runs replicated, s1, s2 (r = 2, 4) taking turns at every
# point and records auto, the option the predictor picks from the calibration taken
# inside the testbed (OUT_PREFIX_<profile>.toml). Appends bench grid's columns plus
# profile, dilation, run to OUT_PREFIX.csv; perf/plot_grid.py plots it.
set -euo pipefail
out=${1:?usage: perf/testbed_grid.sh OUT_PREFIX PROFILE [RUNS] [REPEATS]}
profile=${2:?profile, e.g. pipemoe-2080ti}
runs=${3:-1}
repeats=${4:-5}
# shellcheck disable=SC1091
source "$(dirname "$0")/testbed_up.sh"
toml=${out}_$profile.toml
testbed_up "$profile" "$toml"
for run in $(seq "$runs"); do
  rm -f "$work/run.csv"
  "$cluster" run "$NP" "$PARAMOE" bench grid "$here/inputs/grids/parm-testbed.toml" \
    --cluster "$toml" --repeats "$repeats" --warmup 1 --csv "$work/run.csv" | grep 'grid point'
  append_rows "$work/run.csv" "$out.csv" profile,dilation,run "$profile,$DILATION,$run"
done
