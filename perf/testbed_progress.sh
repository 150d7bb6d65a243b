#!/usr/bin/env bash
# perf/testbed_progress.sh OUT_PREFIX [ROUNDS=3]: how s2's collectives in flight
# are driven on the CPU (moe.progress), on the time-dilated testbed (PipeMoE's
# 2080Ti profile, Open MPI's yield on): MPI_Test polling between the experts' row
# blocks and in waits ("blocks", the default), polling in waits only ("waits"),
# and a progress thread per rank (MPI_THREAD_MULTIPLE) polling every 50 us or
# 500 us ("thread", PARAMOE_PROGRESS_US) while the rank's own thread computes and
# sleeps in its waits. bench layer s1 and s2 on the lane-balanced points of
# perf/testbed_lane_balanced.sh (2 x 2: D 128 top-4, r = 8; 2 x 4: layer-cpu.toml
# at 512 tokens, mp = esp = 4, r = 4), the four modes taking turns in each round. Appends bench
# layer's columns plus ranks, mode, round to OUT_PREFIX.csv; per configuration
# and mode the medians over rounds (s2's time, its speed-up over s1 taken inside
# each run, with its range, and its lane overlap %) go to OUT_PREFIX_summary.csv;
# SUMMARY_ONLY=1 rewrites that from OUT_PREFIX.csv alone. OUT_PREFIX_2x<n>.toml
# are the calibrations inside each testbed.
set -euo pipefail
out=${1:?usage: perf/testbed_progress.sh OUT_PREFIX [ROUNDS]}
rounds=${2:-3}
# shellcheck disable=SC1091
source "$(dirname "$0")/testbed_up.sh"
modes=(blocks waits thread:50 thread:500)
ranks_list=(4 8)
[[ ${SUMMARY_ONLY:-0} == 1 ]] && ranks_list=()
for ranks in "${ranks_list[@]}"; do
  toml=${out}_2x$((ranks / 2)).toml
  testbed_up pipemoe-2080ti "$toml" "$ranks"
  if ((ranks == 4)); then
    layer=(--set moe.d_model=128 --set moe.d_hidden=512 --set moe.top_k=4
      --set bench.tokens_per_step=1024 --set moe.chunks=8)
  else
    layer=(--set parallel.mp=4 --set parallel.esp=4 --set parallel.ep=2
      --set bench.tokens_per_step=512 --set moe.chunks=4)
  fi
  for round in $(seq "$rounds"); do
    for mode in "${modes[@]}"; do
      rm -f "$work/run.csv"
      echo "== 2x$((ranks / 2)) round $round $mode"
      PARAMOE_PROGRESS_US=${mode#thread:} "$cluster" run "$NP" "$PARAMOE" bench layer \
        "$here/inputs/bench/layer-cpu.toml" "${layer[@]}" --set moe.progress="${mode%%:*}" \
        --set plan.cluster="$toml" --schedules s1,s2 --repeats 11 --csv "$work/run.csv" |
        grep -E '^  (schedule|s1|s2) '
      append_rows "$work/run.csv" "$out.csv" ranks,mode,round "$ranks,$mode,$round"
    done
  done
  "$cluster" down
done
/usr/bin/python3 - "$out.csv" "${out}_summary.csv" <<'PY'
import csv, statistics, sys
from collections import defaultdict
runs = defaultdict(dict)
for r in csv.DictReader(open(sys.argv[1])):
    runs[(r["ranks"], r["mode"], r["round"])][r["schedule"]] = r
g = defaultdict(lambda: defaultdict(list))
for (ranks, mode, _), by in runs.items():
    s1, s2 = by["s1"], by["s2"]
    k = g[(int(ranks), mode)]
    k["s1"].append(float(s1["median_ms"]))
    k["s2"].append(float(s2["median_ms"]))
    k["vs_s1"].append(float(s1["median_ms"]) / float(s2["median_ms"]))
    k["overlap"].append(100.0 * float(s2["lane_overlap_pct"]))  # the CSV has a fraction
order = {"blocks": 0, "waits": 1, "thread:50": 2, "thread:500": 3}
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["ranks", "mode", "rounds", "s1_median_ms", "s2_median_ms", "s2_vs_s1",
                "s2_vs_s1_min", "s2_vs_s1_max", "s2_overlap_pct"])
    for (ranks, mode), v in sorted(g.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], 9))):
        w.writerow([ranks, mode, len(v["s2"]), f"{statistics.median(v['s1']):.1f}",
                    f"{statistics.median(v['s2']):.1f}", f"{statistics.median(v['vs_s1']):.2f}",
                    f"{min(v['vs_s1']):.2f}", f"{max(v['vs_s1']):.2f}",
                    f"{statistics.median(v['overlap']):.1f}"])
PY
