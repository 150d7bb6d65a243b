#!/usr/bin/env bash
# hexa_memory.sh [OUT.csv]: peak memory per rank of the MoE stack (D = 256,
# H = 1024, E = 8, top-2; 4 ranks, ep = 4) with L = 2, 4 and 8 MoE layers, under
# model-centric (s1) and data-centric execution with the shared weight cache and
# with a cache per layer (every gathered layer kept). Each run is 3 training steps;
# the numbers are paramoe's end-of-run memory line (largest rank): the peak
# resident set (VmHWM), the training state (params, grads, AdamW moments) and the
# weight cache's buffers.
set -euo pipefail
out=${1:-perf/results/hexa_memory.csv}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
echo "layers,mode,weight_cache,peak_rss_mib,training_state_mib,weight_cache_mib,one_layer_expert_weights_mib" > "$out"
layer_mib=$(/usr/bin/python3 -c 'print(f"{8 * (2 * 256 * 1024 + 1024 + 256) * 4 / 2**20:.2f}")')
for L in 2 4 8; do
  for mode in "model-centric shared" "data-centric shared" "data-centric per-layer"; do
    read -r m cache <<<"$mode"
    line=$(mpirun --oversubscribe -np 4 build/app/paramoe train inputs/moe-tiny.toml \
      --set parallel.mp=1 --set parallel.ep=4 --set parallel.esp=1 --set moe.d_model=256 \
      --set moe.d_hidden=1024 --set train.layers="$L" --set train.steps=3 \
      --set train.tokens_per_step=2048 --set moe.expert_mode="$m" \
      --set moe.weight_cache="$cache" </dev/null 2>&1 | grep "memory: peak")
    vals=$(sed -E 's/.*resident set ([0-9.]+) MiB, training state ([0-9.]+) MiB, weight cache ([0-9.]+) MiB.*/\1,\2,\3/' <<<"$line")
    echo "$L,$m,$cache,$vals,$layer_mib" | tee -a "$out"
  done
done
