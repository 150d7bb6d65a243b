#!/usr/bin/env bash
# hetero_split.sh [OUT.csv] [RUNS] [MODEL]: the speed-proportional split against the
# even split on unequal devices, emulated with CPU pinning: 3 ranks, rank 0 alone on
# CPU 0, ranks 1 and 2 sharing CPU 1 (so rank 0 is about twice as fast). Speeds come
# from `train --calibrate-speed` under that pinning.
#   data-centric:  dp = 3, the batch split by speed;
#   model-centric: esp = 3, the experts' hidden dimension split by speed.
# MODEL "stack" (default): the MoE stack, D=128, H=384, E=8, 2 layers, 3072 tokens;
# "swin": inputs/models/swin-moe-tiny.toml (mp = ep = 1; H 96 at stage 0's width, so
# that esp = 3 divides it) on 96 synthetic 8x8 images per step.
# Each (mode, split) runs RUNS times (default 5) for 30 steps, the four taking turns
# in each round (so a slow spell of the shared host falls on all alike); a run's
# value is its median step time over steps 6-30, the table's the median over runs.
set -euo pipefail
out=${1:-perf/results/hetero_split.csv}
runs=${2:-5}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
model=${3:-stack}
cfg=inputs/moe-tiny.toml
common=(--set moe.d_model=128 --set moe.d_hidden=384 --set train.layers=2 --set train.steps=30
        --set train.tokens_per_step=3072 --set train.log_every=1 --set parallel.mp=1
        --set parallel.ep=1)
if [[ $model == swin ]]; then
  cfg=inputs/models/swin-moe-tiny.toml
  build/app/paramoe data synthetic-images "$work/images.imgs" --count 2048 --size 8 --channels 1 \
    --classes 10 >/dev/null
  common=(--set data.train="$work/images.imgs" --set data.val="" --set train.steps=30
          --set train.val_every=0 --set train.tokens_per_step=6144 --set train.log_every=1
          --set parallel.mp=1 --set parallel.ep=1 --set moe.d_hidden=96)
fi
echo "mode,split,median_step_ms,runs,speeds,saving_vs_even,expected_saving_expert_compute" > "$out"
for r in $(seq "$runs"); do
  for mode in data-centric model-centric; do
    esp=1; [[ $mode == model-centric ]] && esp=3
    for split in even speed; do
      extra=(); [[ $split == speed ]] && extra=(--calibrate-speed)
      mpirun --oversubscribe --bind-to none -np 3 perf/pin_by_rank.sh 0,1,1 \
        build/app/paramoe train "$cfg" "${common[@]}" --set parallel.esp=$esp \
        --set moe.expert_mode=$mode --set parallel.split=$split "${extra[@]}" \
        --set train.metrics_csv="$work/$mode-$split-$r.csv" </dev/null > "$work/$mode-$split-$r.log" 2>&1
    done
  done
done
/usr/bin/python3 - "$work" "$runs" >> "$out" <<'PY'
import csv, glob, re, statistics, sys
work, runs = sys.argv[1], int(sys.argv[2])
def run_ms(path):
    rows = list(csv.DictReader(open(path)))[5:]
    key = next(k for k in rows[0] if k.startswith("step_ms") or k == "ms" or k.endswith("_ms"))
    return statistics.median(float(r[key]) for r in rows)
for mode in ("data-centric", "model-centric"):
    med = {s: statistics.median(run_ms(f"{work}/{mode}-{s}-{r}.csv") for r in range(1, runs + 1))
           for s in ("even", "speed")}
    logs = [open(f"{work}/{mode}-speed-{r}.log").read() for r in range(1, runs + 1)]
    sp = [list(map(float, re.search(r"speeds ([0-9. ]+) \(", l).group(1).split())) for l in logs]
    speeds = [statistics.median(s[i] for s in sp) for i in range(3)]
    # Compute-only expectation: even shares take max_i (1/3)/s_i, proportional 1/sum(s).
    even_t, prop_t = max((1 / 3) / s for s in speeds), 1 / sum(speeds)
    for s in ("even", "speed"):
        print(f"{mode},{s},{med[s]:.2f},{runs},{' '.join(f'{v:.2f}' for v in speeds)},"
              f"{1 - med[s] / med['even']:.3f},{1 - prop_t / even_t if s == 'speed' else 0:.3f}")
PY
cat "$out"
