#!/usr/bin/env bash
# perf/testbed_scaling.sh OUT_PREFIX [PROFILE=pipemoe-2080ti]: the scaling study on
# the time-dilated per-rank testbed (root needed). For 1, 2 and 4 nodes x 2 ranks:
# bring up that testbed (its own dilation: more ranks share the 2 cores), calibrate
# inside it (OUT_PREFIX_<n>n.toml, the file the predictor prices with), and run that
# rank count's rows of jobs/scaling/points-testbed.csv through jobs/scaling/run.sh
# with LAUNCHER = the testbed's run. Appends to OUT_PREFIX.csv (run.sh's columns
# plus nodes and dilation); perf/plot_scaling.py plots it.
set -euo pipefail
out=${1:?usage: perf/testbed_scaling.sh OUT_PREFIX [PROFILE]}
profile=${2:-pipemoe-2080ti}
here=$(cd "$(dirname "$0")/.." && pwd)
cluster=$here/jobs/emulated/cluster.sh
export PARAMOE=$here/build/app/paramoe
trap '"$cluster" down >/dev/null 2>&1 || true' EXIT
work=$(mktemp -d)
for nodes in 1 2 4; do
  ranks=$((2 * nodes))
  toml=${out}_${nodes}n.toml
  "$cluster" up --profile "$here/inputs/clusters/$profile.toml" --nodes "$nodes" --ranks "$ranks" \
    --dilate auto
  # shellcheck disable=SC1091
  source /tmp/paramoe-emulated/testbed.env
  "$cluster" run "$ranks" "$PARAMOE" calibrate --repeats 3 --name "testbed-$profile-${nodes}x2" \
    --out "$toml" | tail -1
  awk -F, -v r="$ranks" 'NR == 1 || $2 == r' "$here/jobs/scaling/points-testbed.csv" >"$work/points.csv"
  rm -f "$work/run.csv"
  LAUNCHER="$cluster run" REPEATS=7 "$here/jobs/scaling/run.sh" "$work/points.csv" "$work/run.csv" \
    "$here/inputs/bench/layer-cpu.toml" "$toml"
  [[ -f $out.csv ]] || echo "$(head -1 "$work/run.csv"),nodes,dilation" >"$out.csv"
  tail -n +2 "$work/run.csv" | sed "s/\$/,$nodes,$DILATION/" >>"$out.csv"
  "$cluster" down
done
rm -rf "$work"
