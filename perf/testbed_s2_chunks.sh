#!/usr/bin/env bash
# perf/testbed_s2_chunks.sh OUT_PREFIX PROFILE [ROUNDS=2]: s2 against s1 on the
# time-dilated per-rank testbed (2 nodes x 2 ranks, eager sends up to 1 MiB, root
# needed) over tokens per step (512, 1024) and s2's pieces r (2, 4, 8): bench layer
# on inputs/bench/layer-cpu.toml (mp = esp = ep = 2), s1 and s2 taking turns in
# each run. Appends bench layer's columns plus profile, dilation, round to
# OUT_PREFIX.csv; OUT_PREFIX.toml is the calibration inside the testbed.
set -euo pipefail
out=${1:?usage: perf/testbed_s2_chunks.sh OUT_PREFIX PROFILE [ROUNDS]}
profile=${2:?profile, e.g. pipemoe-2080ti}
rounds=${3:-2}
# shellcheck disable=SC1091
source "$(dirname "$0")/testbed_up.sh"
testbed_up "$profile" "$out.toml"
for round in $(seq "$rounds"); do
  for tokens in 512 1024; do
    for chunks in 2 4 8; do
      rm -f "$work/run.csv"
      echo "== round $round tokens $tokens r $chunks"
      "$cluster" run 4 "$PARAMOE" bench layer "$here/inputs/bench/layer-cpu.toml" \
        --set bench.tokens_per_step="$tokens" --set moe.chunks="$chunks" \
        --set plan.cluster="$out.toml" --schedules s1,s2 --repeats 11 \
        --csv "$work/run.csv" | grep -E '^  (schedule|s1|s2) '
      append_rows "$work/run.csv" "$out.csv" profile,dilation,round "$profile,$DILATION,$round"
    done
  done
done
