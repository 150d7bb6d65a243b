#!/usr/bin/env bash
# perf/testbed_wait_yield.sh OUT_PREFIX [ROUNDS=3]: paramoe's own MPI_Test loops
# (lib/comm/watchdog.h, WaitBackoff) spinning against yielding the core between
# polls, on the time-dilated testbed (PipeMoE's 2080Ti profile, 2 nodes x 2 ranks,
# Open MPI's yield on for both): bench layer s1 and s2 (r = 8) on the lane-balanced
# d128-top4 layer of perf/testbed_lane_balanced.sh, PARAMOE_WAIT_YIELD=0 and 1
# taking turns in each round. Appends bench layer's columns plus wait_yield, round
# to OUT_PREFIX.csv, and per setting and schedule the medians over rounds (time, and
# the speed-up over s1 taken inside each run) to OUT_PREFIX_summary.csv;
# OUT_PREFIX.toml is the calibration inside the testbed.
set -euo pipefail
out=${1:?usage: perf/testbed_wait_yield.sh OUT_PREFIX [ROUNDS]}
rounds=${2:-3}
# shellcheck disable=SC1091
source "$(dirname "$0")/testbed_up.sh"
testbed_up pipemoe-2080ti "$out.toml"
for round in $(seq "$rounds"); do
  for yield in 0 1; do
    rm -f "$work/run.csv"
    echo "== round $round PARAMOE_WAIT_YIELD=$yield"
    PARAMOE_WAIT_YIELD=$yield "$cluster" run "$NP" "$PARAMOE" bench layer \
      "$here/inputs/bench/layer-cpu.toml" --set moe.d_model=128 --set moe.d_hidden=512 \
      --set moe.top_k=4 --set bench.tokens_per_step=1024 --set moe.chunks=8 \
      --set plan.cluster="$out.toml" --schedules s1,s2 --repeats 11 --csv "$work/run.csv" |
      grep -E '^  (schedule|s1|s2) '
    append_rows "$work/run.csv" "$out.csv" wait_yield,round "$yield,$round"
  done
done
/usr/bin/python3 - "$out.csv" "${out}_summary.csv" <<'PY'
import csv, statistics, sys
from collections import defaultdict
runs = defaultdict(dict)
for r in csv.DictReader(open(sys.argv[1])):
    runs[(r["wait_yield"], r["round"])][r["schedule"]] = r
g = defaultdict(lambda: defaultdict(list))
for (y, _), by in runs.items():
    for s, r in by.items():
        g[(y, s)]["ms"].append(float(r["median_ms"]))
        g[(y, s)]["min"].append(float(r["min_ms"]))
        g[(y, s)]["vs_s1"].append(float(by["s1"]["median_ms"]) / float(r["median_ms"]))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["wait_yield", "schedule", "rounds", "median_ms", "min_ms", "vs_s1"])
    for (y, s), v in sorted(g.items()):
        w.writerow([y, s, len(v["ms"]), f"{statistics.median(v['ms']):.1f}",
                    f"{min(v['min']):.1f}", f"{statistics.median(v['vs_s1']):.2f}"])
PY
