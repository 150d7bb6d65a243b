#!/usr/bin/env bash
# before_after.sh OLD_BIN NEW_BIN [OUT.csv] [PAIRS]: the CPU speed of two paramoe
# builds, measured back to back on this machine with the two taking turns (ABBA
# order within each pair, so drift falls on both alike):
#   train: gpt2-moe-tiny at np 4 (mp 2, ep 2, esp 2), 100 steps; a run's value is
#          its median tokens/s over steps 11-100;
#   layer: `bench layer inputs/bench/layer-cpu.toml` at np 4, replicated and s1, 10
#          timed repeats; a run's value is the median forward+backward ms.
# Writes one row per run (workload, variant, pair, value) and prints, per workload,
# the median of the pairs' new/old ratios (> 1: new is faster). PAIRS default 6.
# Run from the repository root after ./setup.sh (needs data/kjv.txt).
set -euo pipefail
old=$1 new=$2 out=${3:-perf/results/before_after.csv} pairs=${4:-6}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
echo "workload,variant,pair,value,unit" > "$out"

train() {  # bin jsonl
  mpirun --oversubscribe -np 4 "$1" train inputs/models/gpt2-moe-tiny.toml --set train.steps=100 \
    --set train.val_every=0 --set train.log_every=100 --set train.metrics_jsonl="$2" \
    </dev/null >/dev/null
  /usr/bin/python3 -c 'import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])][10:]
print("%.1f" % statistics.median(r["tokens_per_s"] for r in rows if "tokens_per_s" in r))' "$2"
}
layer() {  # bin csv schedule
  rm -f "$2"
  mpirun --oversubscribe -np 4 "$1" bench layer inputs/bench/layer-cpu.toml --schedules "$3" \
    --csv "$2" </dev/null >/dev/null
  awk -F, 'NR == 2 {print $15}' "$2"
}
run() {  # variant pair
  local bin=$old; [[ $1 == new ]] && bin=$new
  echo "train,$1,$2,$(train "$bin" "$work/t.jsonl"),tokens_per_s" >> "$out"
  for s in replicated s1; do
    echo "layer_$s,$1,$2,$(layer "$bin" "$work/l.csv" "$s"),ms" >> "$out"
  done
}
for p in $(seq "$pairs"); do
  if ((p % 2)); then run old "$p"; run new "$p"; else run new "$p"; run old "$p"; fi
done
/usr/bin/python3 - "$out" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for w in dict.fromkeys(r["workload"] for r in rows):
    v = {(r["variant"], r["pair"]): float(r["value"]) for r in rows if r["workload"] == w}
    unit = next(r["unit"] for r in rows if r["workload"] == w)
    ratios = []
    for (var, p), x in v.items():
        if var != "new": continue
        o = v[("old", p)]
        ratios.append(x / o if unit == "tokens_per_s" else o / x)  # > 1: new is faster
    print(f"{w}: new/old speed {statistics.median(ratios):.3f} (median of {len(ratios)} pairs; "
          f"{min(ratios):.3f}-{max(ratios):.3f}); old median "
          f"{statistics.median(x for (var, _), x in v.items() if var == 'old'):.2f} {unit}, new "
          f"{statistics.median(x for (var, _), x in v.items() if var == 'new'):.2f} {unit}")
PY
