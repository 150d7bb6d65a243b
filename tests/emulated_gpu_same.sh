#!/usr/bin/env bash
# emulated_gpu_same.sh PARAMOE GPT_CONFIG BERT_CONFIG STACK_CONFIG CORPUS: the GPU's
# code paths, run on the CPU's kernels (device.type = "emulated-gpu": parameters
# mirrored into "device" memory, indices, ids and masks uploaded, gradients stored
# back, the optimizer on mirrors, experts in grouped calls), give the same losses
# and gradient norms as the CPU reference, bit for bit. The models are small enough that each expert's
# rows fit one of the CPU's row blocks, so even the expert GEMMs are the same calls.
# Covers GPT and BERT at np 4 (mp 2, ep 2, esp 2) with s1, s2 with bf16 wire rows,
# capacity dropping and micro-batches, expert moves, a checkpoint and resume, and
# the MoE stack data-centric.
set -euo pipefail
bin=$1 gpt=$2 bert=$3 stack=$4 corpus=$5
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
same() {  # name config args...: trains on both devices and compares the losses
  local name=$1 config=$2; shift 2
  for dev in cpu emulated-gpu; do
    mpiexec --oversubscribe -np 4 "$bin" train "$config" --set train.steps=4 "$@" \
      --set device.type=$dev --set train.metrics_csv="$work/$name.$dev.csv" \
      > "$work/$name.$dev.log" 2>&1 </dev/null ||
      { cat "$work/$name.$dev.log"; echo "FAIL: $name on $dev"; exit 1; }
  done
  grep -q "device emulated-gpu" "$work/$name.emulated-gpu.log" ||
    { cat "$work/$name.emulated-gpu.log"; echo "FAIL: $name did not run on emulated-gpu"; exit 1; }
  cmp <(cut -d, -f2-4,10 "$work/$name.cpu.csv") <(cut -d, -f2-4,10 "$work/$name.emulated-gpu.csv") ||
    { paste -d, "$work/$name.cpu.csv" "$work/$name.emulated-gpu.csv";
      echo "FAIL: $name's losses differ"; exit 1; }
  echo "OK: $name, $(($(wc -l < "$work/$name.cpu.csv") - 1)) rows the same"
}
same gpt_s1 "$gpt" --set data.train="$corpus" --set moe.schedule=s1
same gpt_s2_bf16_wire "$gpt" --set data.train="$corpus" --set moe.schedule=s2 \
  --set moe.a2a_precision=bf16 --set moe.capacity_factor=1.0 --set train.micro_batches=2
same bert_s1 "$bert" --set data.train="$corpus"
same stack_data_centric "$stack" --set moe.expert_mode=data-centric --set moe.activation=swiglu
# Experts moved between ranks every 2 steps: host values (and AdamW's moments)
# rewritten, then loaded into the mirrors.
same gpt_expert_moves "$gpt" --set data.train="$corpus" --set placement.every=2 \
  --set placement.policy=random

# Stopped at step 2 with a checkpoint (the mirrors' gradients and values brought
# to the host) and resumed (loaded back): steps 3 and 4 as in one run on the CPU.
for part in first resumed; do
  resume=(); [[ $part == resumed ]] && resume=(--resume)
  mpiexec --oversubscribe -np 4 "$bin" train "$gpt" --set data.train="$corpus" --set train.steps=4 \
    --set device.type=emulated-gpu --set checkpoint.dir="$work/ck" --set checkpoint.exit_after=2 \
    --set train.metrics_csv="$work/$part.csv" "${resume[@]}" > "$work/$part.log" 2>&1 </dev/null ||
    { cat "$work/$part.log"; echo "FAIL: checkpoint run $part"; exit 1; }
done
steps34() { grep -E '^(3|4),[0-9]' "$1" | cut -d, -f2-4,10; }  # not the validation rows
cmp <(steps34 "$work/gpt_s1.cpu.csv") <(steps34 "$work/resumed.csv") ||
  { cat "$work/gpt_s1.cpu.csv" "$work/resumed.csv"; echo "FAIL: the resumed steps differ"; exit 1; }
echo "OK: stopped at step 2 and resumed, steps 3-4 the same"
