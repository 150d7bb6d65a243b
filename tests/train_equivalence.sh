#!/usr/bin/env bash
# train_equivalence.sh PARAMOE CONFIG CORPUS: the GPT-MoE model trains the same
# under different layouts, with gradient accumulation and in data-centric mode:
# the losses of the first 6 steps at np 2 (ep 2), np 4 (mp 2, ep 2, esp 2), np 1
# with 2 micro-batches, and data-centric at np 2 (ep 2), np 4 (mp 2, ep 2, esp 2;
# the shared weight cache, prefetching across the two MoE layers) and np 4 (ep 4,
# a cache per layer, 2 micro-batches) match np 1 to 1e-6 relative, and so do
# parallel.split = "speed" runs: data-centric at np 2 (batch shares 2:5) and np 4
# (speeds from --calibrate-speed, whatever they measure), model-centric at np 4
# (ESP hidden slices 43/85), and hot-expert shadowing (moe.shadow = "top:N") at np 4
# (ep 4; mp 2, ep 2, esp 2) (measured: at most 5.5e-9, from fp32 sums in other orders;
# a wrong gradient changes step 2 by percents). The MoE aux and z losses are off,
# since with micro-batches their batch statistics (not the model) differ.
set -euo pipefail
bin=$1 cfg=$2 corpus=$3
inputs=$(cd "$(dirname "$0")/inputs" && pwd)
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
common=(--set data.train="$corpus" --set data.val_fraction=0.1 --set train.steps=6
        --set train.val_every=0 --set moe.aux_loss_coef=0 --set moe.z_loss_coef=0
        --set train.tokens_per_step=512)
run() {  # name np extra...
  local name=$1 np=$2; shift 2
  mpiexec --oversubscribe -np "$np" "$bin" train "$cfg" "${common[@]}" "$@" \
    --set train.metrics_csv="$work/$name.csv" > "$work/$name.log" 2>&1 </dev/null ||
    { cat "$work/$name.log"; echo "FAIL: $name"; exit 1; }
}
run base 1 --set parallel.mp=1 --set parallel.ep=1 --set parallel.esp=1
run ep2 2 --set parallel.mp=1 --set parallel.ep=2 --set parallel.esp=1
run mp2ep2 4 --set parallel.mp=2 --set parallel.ep=2 --set parallel.esp=2
run accum2 1 --set parallel.mp=1 --set parallel.ep=1 --set parallel.esp=1 --set train.micro_batches=2
dc=(--set moe.expert_mode=data-centric)
run dc_ep2 2 "${dc[@]}" --set parallel.mp=1 --set parallel.ep=2 --set parallel.esp=1
run dc_mp2ep2 4 "${dc[@]}" --set parallel.mp=2 --set parallel.ep=2 --set parallel.esp=2
run dc_ep4_perlayer 4 "${dc[@]}" --set moe.weight_cache=per-layer --set parallel.mp=1 \
  --set parallel.ep=4 --set parallel.esp=1 --set train.micro_batches=2
run dc_ep2_speed 2 "${dc[@]}" --set parallel.mp=1 --set parallel.ep=2 --set parallel.esp=1 \
  --set parallel.split=speed --set plan.cluster="$inputs/cluster_uneven2.toml"
run dc_ep4_calibrated 4 "${dc[@]}" --set parallel.mp=1 --set parallel.ep=4 --set parallel.esp=1 \
  --set parallel.split=speed --calibrate-speed
run mc_mp2ep2_speed 4 --set parallel.mp=2 --set parallel.ep=2 --set parallel.esp=2 \
  --set parallel.split=speed --set plan.cluster="$inputs/cluster_uneven4.toml"
run shadow_ep4 4 --set parallel.mp=1 --set parallel.ep=4 --set parallel.esp=1 --set moe.shadow=top:2
run shadow_mp2ep2 4 --set parallel.mp=2 --set parallel.ep=2 --set parallel.esp=2 --set moe.shadow=top:1
grep -q "data-parallel batch shares (per 1000 rows) 286/714" "$work/dc_ep2_speed.log" ||
  { cat "$work/dc_ep2_speed.log"; echo "FAIL: no uneven batch split"; exit 1; }
grep -q "ESP hidden slices 43/85" "$work/mc_mp2ep2_speed.log" ||
  { cat "$work/mc_mp2ep2_speed.log"; echo "FAIL: no uneven hidden split"; exit 1; }
for name in ep2 mp2ep2 accum2 dc_ep2 dc_mp2ep2 dc_ep4_perlayer dc_ep2_speed dc_ep4_calibrated \
  mc_mp2ep2_speed shadow_ep4 shadow_mp2ep2; do
  paste -d, <(cut -d, -f2 "$work/base.csv" | tail -n +2) <(cut -d, -f2 "$work/$name.csv" | tail -n +2) |
    awk -F, -v n="$name" '{d=($1-$2)/$1; if (d<0) d=-d; if (d>m) m=d}
      END{printf "%s: max relative loss difference %.2e over %d steps\n", n, m, NR; exit !(m < 1e-6 && NR == 6)}' ||
    { echo "FAIL: $name differs from np 1"; exit 1; }
done
echo "OK: layouts, gradient accumulation, data-centric execution and shadowing match np 1"
