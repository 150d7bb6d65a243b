#!/usr/bin/env bash
# layer_gemm_bound.sh [OUT.csv] [ROUNDS]: issue 29's CPU layers A and B (shapes as in
# perf/layers_ab.sh, uniform routing, s1, 2 ranks) against their experts' GEMM
# bound, which `bench layer` measures in the same run: the useful expert FLOPs over
# the sgemm rate both ranks sustain at once at the FFN's shapes. ROUNDS runs of
# each, taking turns; the CSV holds bench layer's rows (of_gemm_bound = bound /
# measured median). Run from the repository root.
set -euo pipefail
out=${1:-perf/results/layer_gemm_bound.csv} rounds=${2:-3}
bin=${PARAMOE_BIN:-build/app/paramoe}
rm -f "$out"
A_REPEATS=5
source "$(dirname "$0")/layers_ab.sh"
for round in $(seq "$rounds"); do
  for layer in A B; do
    echo "round $round: layer $layer"
    bench_ab "$layer" uniform "$out"
  done
done
