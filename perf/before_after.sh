#!/usr/bin/env bash
# before_after.sh OLD_BIN NEW_BIN [OUT.csv] [PAIRS]: the CPU speed of two paramoe
# builds, measured back to back on this machine with the two taking turns (ABBA
# order within each pair, so drift falls on both alike):
#   train: gpt2-moe-tiny at np 4 (mp 2, ep 2, esp 2), 100 steps; a run's value is
#          its median tokens/s over steps 11-100;
#   layer: `bench layer inputs/bench/layer-cpu.toml` at np 4, replicated and s1, 10
#          timed repeats; a run's value is the median forward+backward ms.
# Writes one row per run (workload, variant, pair, value) to OUT.csv, and per
# workload the medians and the median of the pairs' new/old speed ratios (> 1: new
# is faster) to OUT_summary.csv, which it also prints. PAIRS default 6.
# NP (default 4), SETS (extra --set options for both workloads, e.g. a layout
# for another NP) and SCHEDULES (the layer's, default "replicated s1") change the runs.
# Run from the repository root after ./setup.sh (needs data/kjv.txt).
set -euo pipefail
old=$1 new=$2 out=${3:-perf/results/before_after.csv} pairs=${4:-6}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
np=${NP:-4}
read -r -a sets <<<"${SETS:-}"
echo "workload,variant,pair,value,unit" > "$out"

train() {  # bin jsonl
  mpirun --oversubscribe -np "$np" "$1" train inputs/models/gpt2-moe-tiny.toml --set train.steps=100 \
    --set train.val_every=0 --set train.log_every=100 --set train.metrics_jsonl="$2" \
    "${sets[@]}" </dev/null >/dev/null
  /usr/bin/python3 -c 'import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])][10:]
print("%.1f" % statistics.median(r["tokens_per_s"] for r in rows if "tokens_per_s" in r))' "$2"
}
layer() {  # bin csv schedule
  rm -f "$2"
  mpirun --oversubscribe -np "$np" "$1" bench layer inputs/bench/layer-cpu.toml --schedules "$3" \
    --csv "$2" "${sets[@]}" </dev/null >/dev/null
  awk -F, 'NR == 2 {print $15}' "$2"
}
run() {  # variant pair
  local bin=$old; [[ $1 == new ]] && bin=$new
  echo "train,$1,$2,$(train "$bin" "$work/t.jsonl"),tokens_per_s" >> "$out"
  for s in ${SCHEDULES:-replicated s1}; do
    echo "layer_$s,$1,$2,$(layer "$bin" "$work/l.csv" "$s"),ms" >> "$out"
  done
}
for p in $(seq "$pairs"); do
  if ((p % 2)); then run old "$p"; run new "$p"; else run new "$p"; run old "$p"; fi
done
/usr/bin/python3 - "$out" "${out%.csv}_summary.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["workload", "unit", "pairs", "old_median", "new_median", "speed_ratio_median",
                "speed_ratio_min", "speed_ratio_max"])
    for wl in dict.fromkeys(r["workload"] for r in rows):
        v = {(r["variant"], r["pair"]): float(r["value"]) for r in rows if r["workload"] == wl}
        unit = next(r["unit"] for r in rows if r["workload"] == wl)
        # > 1: new is faster (tokens/s up, or milliseconds down)
        ratios = [x / v[("old", p)] if unit == "tokens_per_s" else v[("old", p)] / x
                  for (var, p), x in v.items() if var == "new"]
        old = statistics.median(x for (var, _), x in v.items() if var == "old")
        new = statistics.median(x for (var, _), x in v.items() if var == "new")
        w.writerow([wl, unit, len(ratios), f"{old:.2f}", f"{new:.2f}",
                    f"{statistics.median(ratios):.3f}", f"{min(ratios):.3f}", f"{max(ratios):.3f}"])
        print(f"{wl}: new/old speed {statistics.median(ratios):.3f} (median of {len(ratios)} "
              f"pairs; {min(ratios):.3f}-{max(ratios):.3f}); old median {old:.2f} {unit}, "
              f"new {new:.2f} {unit}")
PY
