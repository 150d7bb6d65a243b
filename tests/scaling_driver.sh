#!/usr/bin/env bash
# scaling_driver.sh PARAMOE: runs jobs/scaling/run.sh on a 4-point list (np 1 and
# 2) with a cluster file, then perf/plot_scaling.py; passes if the CSV holds one
# row per point with a measured and a predicted time and both PNGs are written.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PARAMOE_BIN=$1 REPEATS=1 "$root/jobs/scaling/run.sh" "$root/tests/inputs/scaling_tiny.csv" \
  "$work/out.csv" "$root/inputs/moe-tiny.toml" "$root/inputs/clusters/ci-2core-4ranks.toml"
rows=$(tail -n +2 "$work/out.csv" | wc -l)
[[ $rows -eq 4 ]] || { echo "FAIL: $rows rows, expected 4"; cat "$work/out.csv"; exit 1; }
awk -F, 'NR == 1 { for (i = 1; i <= NF; ++i) { if ($i == "median_ms") m = i; if ($i == "predicted_ms") p = i }; next }
  !(m && p && $m > 0 && $p > 0) { bad = 1 } END { exit bad }' "$work/out.csv" ||
  { echo "FAIL: a row without measured and predicted times"; cat "$work/out.csv"; exit 1; }
/usr/bin/python3 "$root/perf/plot_scaling.py" "$work/out.csv" "$work/plot"
[[ -s $work/plot_weak.png && -s $work/plot_strong.png ]] || { echo "FAIL: no plots"; exit 1; }
echo "OK: 4 points measured and predicted, plots written"
