#!/usr/bin/env bash
# Expert placement under the planner's model (paramoe plan placement, no MPI):
# contiguous, random and load-aware placements of 4 experts per EP rank, 8..256
# ranks, Zipf (s = 1.2) and hot-expert (50%) routing, equal devices and four
# classes 100/80/50/40 (as relative speeds and as link GB/s, Aurora's setting).
# 10 load draws per point.
# Usage: perf/placement_sweep.sh [OUT.csv]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
csv=${1:-perf/results/placement_plan.csv}
paramoe=${PARAMOE:-$here/build/app/paramoe}
rm -f "$csv"
for classes in 25 100,80,50,40; do
  "$paramoe" plan placement --ep 8,16,32,64,128,256 --traffic zipf,hot --seeds 10 \
    --speeds "$classes" --bandwidth "$classes" --csv "$csv"
done
