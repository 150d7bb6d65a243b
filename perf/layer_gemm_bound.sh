#!/usr/bin/env bash
# layer_gemm_bound.sh [OUT.csv] [ROUNDS]: issue 29's CPU layers A and B (shapes as in
# perf/layer_skew.sh, uniform routing, s1, 2 ranks) against their experts' GEMM
# bound, which `bench layer` measures in the same run: the useful expert FLOPs over
# the sgemm rate both ranks sustain at once at the FFN's shapes. ROUNDS runs of
# each, taking turns; the CSV holds bench layer's rows (of_gemm_bound = bound /
# measured median). Run from the repository root.
set -euo pipefail
out=${1:-perf/results/layer_gemm_bound.csv} rounds=${2:-3}
bin=${PARAMOE_BIN:-build/app/paramoe}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
rm -f "$out"
common=(--set parallel.mp=1 --set parallel.ep=2 --set parallel.esp=1 --set moe.num_experts=4
  --set moe.top_k=2 --set moe.activation=gelu --set moe.capacity_factor=0.0
  --set 'bench.schedules=["s1"]' --set bench.warmup=1)
for round in $(seq "$rounds"); do
  for layer in A B; do
    if [[ $layer == A ]]; then
      shape=(--set moe.d_model=512 --set moe.d_hidden=2048 --set bench.tokens_per_step=4096
        --set bench.repeats=5)
    else
      shape=(--set moe.d_model=1024 --set moe.d_hidden=4096 --set bench.tokens_per_step=8192
        --set bench.repeats=2)
    fi
    echo "round $round: layer $layer"
    mpirun --oversubscribe -np 2 "$bin" bench layer inputs/bench/layer-cpu.toml "${common[@]}" \
      "${shape[@]}" --csv "$out" </dev/null | grep -E "GEMM bound| s1 "
  done
done
