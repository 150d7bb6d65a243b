#!/usr/bin/env bash
# Aurora all-to-all orders under the big-switch model (paramoe plan a2a, no MPI):
# 8..256 ranks, uniform and skewed (Zipf 0.8, one hot expert at 10%) traffic,
# equal links and four link classes 100/80/50/40 GB/s. 5 matrices per point.
# BvN on near-uniform traffic at 256 ranks takes minutes (O(n²) rounds), so the
# uniform case stops at 128 ranks for every method.
# Usage: perf/a2a_sweep.sh [OUT.csv]   then perf/a2a_plot.py OUT.csv OUT.png
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
csv=${1:-perf/results/a2a_orders.csv}
paramoe=${PARAMOE:-$here/build/app/paramoe}
rm -f "$csv"
common=(--seeds 5 --zipf-s 0.8 --hot-fraction 0.1 --csv "$csv")
for bw in 25 100,80,50,40; do
  "$paramoe" plan a2a --ranks 8,16,32,64,128,256 --traffic zipf,hot --bandwidth "$bw" "${common[@]}"
  "$paramoe" plan a2a --ranks 8,16,32,64,128 --traffic uniform --bandwidth "$bw" "${common[@]}"
done
