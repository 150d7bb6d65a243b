#!/usr/bin/env bash
# layer_ab_before_after.sh OLD_BIN NEW_BIN [OUT.csv] [PAIRS]: issue 29's CPU layers
# A and B (perf/layers_ab.sh's shapes, uniform routing) under two paramoe builds,
# taking turns in ABBA order within each pair. A run's value is `bench layer`'s
# median forward+backward ms (A: 3 repeats, B: 2). Writes the runs to OUT.csv and
# per layer the medians and the median of the pairs' old/new time ratios (> 1:
# new is faster) to OUT_summary.csv. PAIRS default 3.
set -euo pipefail
old=$1 new=$2 out=${3:-perf/results/layer_ab_before_after.csv} pairs=${4:-3}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
echo "layer,variant,pair,median_ms" >"$out"
source "$(dirname "$0")/layers_ab.sh"
run() {  # layer variant pair
  local bin=$old
  [[ $2 == new ]] && bin=$new
  layer_shape "$1"
  rm -f "$work/l.csv"
  mpirun --oversubscribe -np 2 "$bin" bench layer inputs/bench/layer-cpu.toml "${common[@]}" \
    "${shape[@]}" --csv "$work/l.csv" </dev/null >/dev/null
  echo "$1,$2,$3,$(awk -F, 'NR == 2 {print $15}' "$work/l.csv")" >>"$out"
}
for p in $(seq "$pairs"); do
  for layer in A B; do
    if ((p % 2)); then order=(old new new old); else order=(new old old new); fi
    for v in "${order[@]}"; do run "$layer" "$v" "$p"; done
  done
done
/usr/bin/python3 - "$out" "${out%.csv}_summary.csv" <<'PY'
import collections, csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
runs = collections.defaultdict(list)
for r in rows:
    runs[(r["layer"], r["variant"], r["pair"])].append(float(r["median_ms"]))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["layer", "old_ms", "new_ms", "speedup_old_over_new"])
    for layer in sorted({r["layer"] for r in rows}):
        pairs = sorted({p for (l, _, p) in runs if l == layer})
        old = [statistics.median(runs[(layer, "old", p)]) for p in pairs]
        new = [statistics.median(runs[(layer, "new", p)]) for p in pairs]
        ratio = statistics.median(o / n for o, n in zip(old, new))
        w.writerow([layer, f"{statistics.median(old):.1f}", f"{statistics.median(new):.1f}",
                    f"{ratio:.3f}"])
print(open(sys.argv[2]).read())
PY
