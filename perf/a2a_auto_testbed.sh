#!/usr/bin/env bash
# perf/a2a_auto_testbed.sh OUT_PREFIX [ROUNDS=3]: moe.a2a = auto's pick checked
# against measurement on the per-rank testbed (PipeMoE's 2080Ti profile, 2 nodes x
# 2 ranks; root needed), whose htb classes shape each rank's receive port, so that
# several senders to one rank share its rate as on a real NIC (the emulated
# cluster of perf/results' earlier check shapes per node). Calibrating inside it
# fits the incast penalty (native against greedy on hot-expert traffic), then
# bench a2a runs native, pairwise, greedy order and auto, taking turns, on
# uniform, zipf and hot traffic of 1024 tokens of 4096 B per rank. Appends bench
# a2a's columns plus round to OUT_PREFIX.csv; OUT_PREFIX.toml is the calibration.
set -euo pipefail
out=${1:?usage: perf/a2a_auto_testbed.sh OUT_PREFIX [ROUNDS]}
rounds=${2:-3}
# shellcheck disable=SC1091
source "$(dirname "$0")/testbed_up.sh"
testbed_up pipemoe-2080ti "$out.toml"
for round in $(seq "$rounds"); do
  for traffic in uniform zipf hot; do
    rm -f "$work/run.csv"
    echo "== round $round $traffic"
    "$cluster" run "$NP" "$PARAMOE" bench a2a --traffic "$traffic" --tokens 1024 --repeats 5 \
      --methods native,pairwise,ordered-greedy,auto --cluster "$out.toml" --csv "$work/run.csv" |
      tail -5
    append_rows "$work/run.csv" "$out.csv" round "$round"
  done
done
