#!/usr/bin/env bash
# swin_train_equivalence.sh PARAMOE CONFIG DIGITS: the Swin-MoE classifier trains
# the same under different layouts: the losses of the first 6 steps at np 2 (ep 2),
# np 4 (mp 2, ep 2, esp 2; s1 and s2), np 4 (ep 4), np 4 (ep 2, so edp 2: expert
# replicas summing their gradients), np 1 with 2 micro-batches and
# data-centric at np 4 (mp 2, ep 2, esp 2) match np 1 to 1e-6 relative (fp32 sums in
# other orders; a wrong gradient changes step 2 by percents), and a run stopped after
# 3 steps and resumed from its checkpoint at np 4 gives np 4's 6 losses bit for bit.
# The MoE aux and z losses are off, since with micro-batches their batch statistics
# (not the model) differ.
set -euo pipefail
bin=$1 cfg=$2 digits=$3
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
common=(--set data.train="$digits/train.imgs" --set data.val="$digits/val.imgs"
        --set train.steps=6 --set train.val_every=0 --set moe.aux_loss_coef=0
        --set moe.z_loss_coef=0 --set train.tokens_per_step=2048)
run() {  # name np extra...
  local name=$1 np=$2; shift 2
  mpiexec --oversubscribe -np "$np" "$bin" train "$cfg" "${common[@]}" "$@" \
    --set train.metrics_csv="$work/$name.csv" > "$work/$name.log" 2>&1 </dev/null ||
    { cat "$work/$name.log"; echo "FAIL: $name"; exit 1; }
}
one=(--set parallel.mp=1 --set parallel.ep=1 --set parallel.esp=1)
mp2ep2=(--set parallel.mp=2 --set parallel.ep=2 --set parallel.esp=2)
run base 1 "${one[@]}"
run ep2 2 --set parallel.mp=1 --set parallel.ep=2 --set parallel.esp=1
run mp2ep2 4 "${mp2ep2[@]}"
run mp2ep2_s2 4 "${mp2ep2[@]}" --set moe.schedule=s2
run ep4 4 --set parallel.mp=1 --set parallel.ep=4 --set parallel.esp=1
run ep2_edp2 4 --set parallel.mp=1 --set parallel.ep=2 --set parallel.esp=1
run accum2 1 "${one[@]}" --set train.micro_batches=2
run dc_mp2ep2 4 "${mp2ep2[@]}" --set moe.expert_mode=data-centric
for name in ep2 mp2ep2 mp2ep2_s2 ep4 ep2_edp2 accum2 dc_mp2ep2; do
  paste -d, <(cut -d, -f2 "$work/base.csv" | tail -n +2) <(cut -d, -f2 "$work/$name.csv" | tail -n +2) |
    awk -F, -v n="$name" '{d=($1-$2)/$1; if (d<0) d=-d; if (d>m) m=d}
      END{printf "%s: max relative loss difference %.2e over %d steps\n", n, m, NR; exit !(m < 1e-6 && NR == 6)}' ||
    { echo "FAIL: $name differs from np 1"; exit 1; }
done
# Stop after 3 steps with a checkpoint, then resume to 6.
run first3 4 "${mp2ep2[@]}" --set checkpoint.dir="$work/ckpt" --set checkpoint.exit_after=3
mpiexec --oversubscribe -np 4 "$bin" train "$cfg" "${common[@]}" "${mp2ep2[@]}" \
  --set checkpoint.dir="$work/ckpt" --set train.metrics_csv="$work/rest.csv" --resume latest \
  > "$work/rest.log" 2>&1 </dev/null || { cat "$work/rest.log"; echo "FAIL: resume"; exit 1; }
want=$(cut -d, -f2 "$work/mp2ep2.csv" | tail -n +2)
got=$( (tail -n +2 "$work/first3.csv"; tail -n +2 "$work/rest.csv") | cut -d, -f2)
[[ "$want" == "$got" ]] || { echo "FAIL: resumed losses differ"; paste <(echo "$want") <(echo "$got"); exit 1; }
echo "OK: layouts, schedules, gradient accumulation, data-centric execution and a resume match"
