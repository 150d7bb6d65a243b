#!/usr/bin/env bash
# swin_hexa_table.sh [OUT.csv] [RUNS]: HEXA-MoE's Swin-MoE comparison on this
# machine. Step latency and peak memory of the Swin-MoE classifier under
#   mc      model-centric, dropless (tokens travel to the experts; s1)
#   dc      data-centric, dropless (expert weights travel; the shared cache)
#   auto    moe.expert_mode = auto, priced per MoE layer with a calibration of this
#           machine taken at the start (paramoe calibrate, 2 ranks)
#   padded  the capacity-padded baseline: s1 with Tutel's dynamic capacity
#           (capacity_factor = -E: the busiest expert's load, nothing dropped) and
#           every expert's rows padded to it (moe.pad_to_capacity), as Tutel's and
#           MegaBlocks-style capacity buffers are
# for two models over batch sizes and expert counts, at 2 ranks (ep = 2):
#   tiny     inputs/models/swin-moe-tiny.toml on 8x8 synthetic images (32/64/128
#            images per step; 8 and 16 experts)
#   small/4  Swin-MoE-S scaled down: 56x56 RGB in 4x4 patches (14x14 then 7x7
#            maps, 7x7 windows), widths 48/96, 3/6 heads, depths [2, 4], MoE in
#            blocks 1 and 3 of stage 2 (H 384), top-1 (16/32/64 images; 8 and 32
#            experts)
# Every (point, variant) runs RUNS times (default 3) for 12 steps, the four variants
# taking turns within each round; a run's latency is its median step time over
# steps 3-12 and the table's the median over runs; memory is paramoe's end-of-run
# line (VmHWM of the largest rank, how much the resident set grew during the steps,
# the training state and the weight cache) and
# the padding the mean over steps of the MoE layers' max/mean expert load (what
# padding to the busiest expert multiplies the expert rows by).
set -euo pipefail
out=${1:-perf/results/swin_hexa_table.csv}
runs=${2:-3}
bin=${PARAMOE:-build/app/paramoe}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
cfg=inputs/models/swin-moe-tiny.toml
"$bin" data synthetic-images "$work/tiny.imgs" --count 2048 --size 8 --channels 1 --classes 10 >/dev/null
"$bin" data synthetic-images "$work/small.imgs" --count 1024 --size 56 --channels 3 --classes 100 >/dev/null
mpirun --oversubscribe -np 2 "$bin" calibrate --out "$work/cluster.toml" >"$work/calibrate.log" 2>&1
layout=(--set parallel.mp=1 --set parallel.ep=2 --set parallel.esp=1 --set train.steps=12
        --set train.val_every=0 --set train.log_every=1 --set data.val="")
tiny=(--set data.train="$work/tiny.imgs")
small=(--set data.train="$work/small.imgs" --set model.image_size=56 --set model.channels=3
       --set model.patch_size=4 --set model.window=7 "--set" "model.depths=[2, 4]"
       --set model.heads=3 --set model.d_ffn=192 --set moe.d_model=48 --set moe.d_hidden=192
       --set model.classes=100)
points=("tiny 32 8" "tiny 64 8" "tiny 128 8" "tiny 32 16" "tiny 64 16" "tiny 128 16"
        "small 16 8" "small 32 8" "small 64 8" "small 16 32" "small 32 32" "small 64 32")
for r in $(seq "$runs"); do
  for p in "${points[@]}"; do
    read -r model images experts <<<"$p"
    if [[ $model == tiny ]]; then shape=("${tiny[@]}"); patches=64; else shape=("${small[@]}"); patches=196; fi
    for v in mc dc auto padded; do
      case $v in
        mc) mode=(--set moe.expert_mode=model-centric) ;;
        dc) mode=(--set moe.expert_mode=data-centric) ;;
        auto) mode=(--set moe.expert_mode=auto --set plan.cluster="$work/cluster.toml") ;;
        padded) mode=(--set moe.expert_mode=model-centric --set moe.capacity_factor=-"$experts"
                      --set moe.pad_to_capacity=true) ;;
      esac
      name="$model-$images-$experts-$v-$r"
      mpirun --oversubscribe -np 2 "$bin" train "$cfg" "${layout[@]}" "${shape[@]}" "${mode[@]}" \
        --set moe.num_experts="$experts" --set train.tokens_per_step=$((images * patches)) \
        --set train.metrics_csv="$work/$name.csv" --set train.metrics_jsonl="$work/$name.jsonl" \
        </dev/null >"$work/$name.log" 2>&1 || { cat "$work/$name.log"; echo "FAIL: $name"; exit 1; }
    done
  done
done
/usr/bin/python3 - "$work" "$runs" "${points[@]}" > "$out" <<'PY'
import csv, json, re, statistics, sys
work, runs, points = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
print("model,images,experts,variant,step_ms,peak_rss_mib,grown_in_training_mib,"
      "training_state_mib,weight_cache_mib,max_mean_load,auto_pick,runs,step_ms_min,step_ms_max")
for p in points:
    model, images, experts = p.split()
    for v in ("mc", "dc", "auto", "padded"):
        ms, rss, state, cache, grown, load, picks = [], [], [], [], [], [], set()
        for r in range(1, runs + 1):
            name = f"{work}/{model}-{images}-{experts}-{v}-{r}"
            rows = list(csv.DictReader(open(name + ".csv")))[2:]
            ms.append(statistics.median(float(x["step_ms"]) for x in rows))
            log = open(name + ".log").read()
            m = re.search(r"peak resident set ([0-9.]+) MiB, training state ([0-9.]+) MiB, "
                          r"weight cache ([0-9.]+) MiB, grown in training ([0-9.-]+) MiB", log)
            rss.append(float(m.group(1))); state.append(float(m.group(2))); cache.append(float(m.group(3)))
            grown.append(float(m.group(4)))
            for line in open(name + ".jsonl"):
                j = json.loads(line)
                for l in j.get("expert_load", []):
                    load.append(l["max_mean"])
            for pick in re.findall(r"expert_mode auto: (data-centric|\S+)", log):
                picks.add("dc" if pick == "data-centric" else "mc")
        med = statistics.median
        print(f"{model},{images},{experts},{v},{med(ms):.2f},{med(rss):.1f},{med(grown):.1f},"
              f"{med(state):.2f},"
              f"{med(cache):.2f},{statistics.mean(load):.3f},{'/'.join(sorted(picks))},{runs},"
              f"{min(ms):.2f},{max(ms):.2f}")
PY
cat "$out"
