#!/usr/bin/env bash
# Runs on the GPU machine (the `device` tool), from the repository root, after
#   jobs/device/pack.sh build/tests/test_cuda_* build/perf/bench_cuda_* ...
# here. Runs the GPU tests and benchmarks that were packed and writes every log
# and result under $OUT. Usage there: bash jobs/device/gpu_check.sh
set -uo pipefail
source jobs/device/unpack.sh
# Logs gather in $work and go back as one archive (the tool returns at most 8 files).
work=/tmp/gpu_check
rm -rf "$work" && mkdir -p "$work"
out=$work
export PARAMOE_GOLDEN_DIR=$PWD/tests/golden
{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  grep PRETTY_NAME /etc/os-release
  command -v mpirun && mpirun --version | head -1
} 2>&1 | tee "$out/machine.txt"
status=0
for t in "$PACK"/bin/test_cuda_* "$PACK"/bin/test_device_*; do
  [[ -e $t ]] || continue
  name=$(basename "$t")
  echo "== $name"
  "$t" >"$out/$name.log" 2>&1 || status=1
  tail -3 "$out/$name.log"
done
# The distributed layer on the GPU, at the layouts tests/CMakeLists.txt registers.
if [[ -e "$PACK/bin/test_moe_layer_cuda" ]]; then
  while read -r name np args; do
    echo "== $name"
    # shellcheck disable=SC2086  # args is a word list; mpirun must not eat the list

    mpirun --oversubscribe -np "$np" "$PACK/bin/test_moe_layer_cuda" $args </dev/null >"$out/$name.log" 2>&1 ||
      status=1
    tail -3 "$out/$name.log"
  done <<'LAYOUTS'
gpu_moe_layer_np1_nccl 1 --coll nccl
gpu_moe_layer_np1_mpi 1 --coll mpi
gpu_moe_layer_np2_ep2_mpi 2 --coll mpi --mp 1 --ep 2 --esp 1
gpu_moe_layer_np2_mp2_esp2_mpi 2 --coll mpi --mp 2 --ep 1 --esp 2
gpu_moe_layer_np4_mp2_ep2_esp2_mpi 4 --coll mpi --mp 2 --ep 2 --esp 2 --rpn 2
gpu_moe_layer_np1_nccl_bf16 1 --coll nccl --precision bf16
gpu_moe_layer_np4_mp2_ep2_esp2_mpi_bf16 4 --coll mpi --mp 2 --ep 2 --esp 2 --rpn 2 --precision bf16 --a2a-precision bf16
LAYOUTS
fi
# The GPT and BERT models wholly on the GPU against the PyTorch fixtures.
if [[ -e "$PACK/bin/test_transformer_step_cuda" ]]; then
  while read -r name np args; do
    echo "== $name"
    # shellcheck disable=SC2086  # args is a word list
    mpirun --oversubscribe -np "$np" "$PACK/bin/test_transformer_step_cuda" $args </dev/null \
      >"$out/$name.log" 2>&1 || status=1
    tail -3 "$out/$name.log"
  done <<'LAYOUTS'
gpu_transformer_step_np1_nccl 1 --coll nccl --mp 1 --ep 1 --esp 1
gpu_transformer_step_np2_mpi 2 --coll mpi --mp 2 --ep 1 --esp 2
gpu_transformer_step_np4_mpi 4 --coll mpi --mp 2 --ep 2 --esp 2 --rpn 2
LAYOUTS
fi
# The device collectives against the host MPI ones.
if [[ -e "$PACK/bin/test_collectives_cuda" ]]; then
  for run in "1 nccl" "1 mpi" "2 mpi" "4 mpi"; do
    read -r np kind <<<"$run"
    name=gpu_collectives_np${np}_$kind
    echo "== $name"
    mpirun --oversubscribe -np "$np" "$PACK/bin/test_collectives_cuda" --coll "$kind" \
      </dev/null >"$out/$name.log" 2>&1 || status=1
    tail -3 "$out/$name.log"
  done
fi
# paramoe train on the GPU against the CPU, as tests/CMakeLists.txt registers it.
if [[ -e "$PACK/bin/paramoe" ]]; then
  lm="--set data.train=tests/inputs/corpus_small.txt --set data.val_fraction=0.1 --set train.steps=40 --set train.val_every=0"
  while read -r name np rtol config args; do
    echo "== $name"
    [[ $config == inputs/models/* ]] && args="$lm $args"
    # shellcheck disable=SC2086  # args is a word list
    tests/gpu/compare_train_losses.sh "$rtol" mpirun --oversubscribe -np "$np" -- \
      "$PACK/bin/paramoe" train "$config" $args </dev/null >"$out/$name.log" 2>&1 ||
      status=1
    tail -3 "$out/$name.log"
  done <<'RUNS'
gpu_train_np1_nccl 1 1e-6 inputs/moe-tiny.toml --set parallel.mp=1 --set parallel.ep=1 --set parallel.esp=1
gpu_train_np4_mp2_ep2_esp2_mpi 4 1e-6 inputs/moe-tiny.toml
gpu_train_np1_nccl_s2 1 1e-6 inputs/moe-tiny.toml --set parallel.mp=1 --set parallel.ep=1 --set parallel.esp=1 --set moe.schedule=s2 --set moe.chunks=3
gpu_train_np1_nccl_dc 1 1e-6 inputs/moe-tiny.toml --set parallel.mp=1 --set parallel.ep=1 --set parallel.esp=1 --set moe.expert_mode=data-centric
gpu_train_np4_mp2_ep2_esp2_mpi_dc 4 1e-6 inputs/moe-tiny.toml --set moe.expert_mode=data-centric
gpu_train_np1_nccl_bf16 1 2e-2 inputs/moe-tiny.toml --set parallel.mp=1 --set parallel.ep=1 --set parallel.esp=1 --set device.precision=bf16
gpu_train_np4_mp2_ep2_esp2_mpi_dc_bf16 4 2e-2 inputs/moe-tiny.toml --set moe.expert_mode=data-centric --set device.precision=bf16
gpu_train_gpt_np1_nccl 1 1e-3 inputs/models/gpt2-moe-tiny.toml --set parallel.mp=1 --set parallel.ep=1 --set parallel.esp=1
gpu_train_gpt_np4_mp2_ep2_esp2_mpi 4 1e-3 inputs/models/gpt2-moe-tiny.toml
gpu_train_bert_np4_mp2_ep2_esp2_mpi 4 1e-3 inputs/models/bert-moe-tiny.toml
gpu_train_gpt_np1_nccl_bf16 1 3e-2 inputs/models/gpt2-moe-tiny.toml --set parallel.mp=1 --set parallel.ep=1 --set parallel.esp=1 --set device.precision=bf16
gpu_train_bert_np4_mp2_ep2_esp2_mpi_bf16 4 3e-2 inputs/models/bert-moe-tiny.toml --set device.precision=bf16
RUNS
fi
# Checkpoint restart and expert moves with the model on the GPU, as
# tests/CMakeLists.txt registers them (gpu_ckpt_*). The scenarios' Python only
# reads CSVs; it runs without the packed libraries.
if [[ -e "$PACK/bin/paramoe" ]]; then
  printf '#!/bin/sh\nexec env -u LD_LIBRARY_PATH python3 "$@"\n' >"$work/python3"
  chmod +x "$work/python3"
  while read -r name scenario args; do
    echo "== $name"
    # shellcheck disable=SC2086  # args is a word list
    PARAMOE="$PACK/bin/paramoe" CONFIG=$PWD/inputs/moe-tiny.toml MPIEXEC="mpirun --oversubscribe" \
      PYTHON="$work/python3" bash tests/ckpt/on_gpu.sh 1e-5 "$scenario" $args </dev/null \
      >"$out/$name.log" 2>&1 || status=1
    tail -3 "$out/$name.log"
  done <<'RUNS'
gpu_ckpt_restart_np1_nccl restart_bitexact.sh 1 --set parallel.mp=1 --set parallel.ep=1 --set parallel.esp=1
gpu_ckpt_restart_np4_mpi restart_bitexact.sh 4
gpu_ckpt_placement_np4_mpi placement.sh 4
RUNS
fi
# BENCH=0 runs the tests only.
[[ ${BENCH:-1} == 0 ]] && { tar -C "$work" -czf "${OUT:-/tmp}/gpu_check.tgz" . ; exit $status; }
for b in "$PACK"/bin/bench_cuda_*; do
  [[ -e $b ]] || continue
  name=$(basename "$b")
  echo "== $name"
  "$b" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/$name.json" --benchmark_out_format=json >"$out/$name.log" 2>&1 || status=1
  grep -E "median|ERROR" "$out/$name.log" | head -40
done
# The plain PyTorch layer of the same shapes (perf/torch_moe_layer.py), on the
# machine's own Python and libraries.
if [[ -e "$PACK/bin/bench_cuda_moe_layer" ]]; then
  echo "== torch_moe_layer"
  env -u LD_LIBRARY_PATH PYTHONUNBUFFERED=1 python3 perf/torch_moe_layer.py "$out/torch_moe_layer.csv" \
    >"$out/torch_moe_layer.log" 2>&1 || status=1
  cat "$out/torch_moe_layer.log"
fi
# The whole GPT-MoE model training on the GPU, fp32 against bf16.
if [[ -e "$PACK/bin/paramoe" ]]; then
  echo "== gpu_train_throughput"
  PARAMOE="$PACK/bin/paramoe" LAUNCH="mpirun --oversubscribe -np 1" \
    bash perf/gpu_train_throughput.sh "$out/gpu_train_throughput.csv" \
    >"$out/gpu_train_throughput.log" 2>&1 || status=1
  cat "$out/gpu_train_throughput.log"
fi
tar -C "$work" -czf "${OUT:-/tmp}/gpu_check.tgz" .
exit $status
