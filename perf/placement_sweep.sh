#!/usr/bin/env bash
# Expert placement under the planner's model (paramoe plan placement, no MPI):
# contiguous, random and load-aware placements of 4 experts per EP rank, 8..256
# ranks, strong skew (Zipf s = 1.2, one hot expert at 50%) and mild skew (Zipf
# s = 0.8, hot expert at 10%, as in a2a_sweep.sh), equal devices and four
# classes 100/80/50/40 (as relative speeds and as link GB/s, Aurora's setting).
# 10 load draws per point.
# Usage: perf/placement_sweep.sh [OUT.csv]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
csv=${1:-perf/results/placement_plan.csv}
paramoe=${PARAMOE:-$here/build/app/paramoe}
rm -f "$csv"
for skew in "--zipf-s 1.2 --hot-fraction 0.5" "--zipf-s 0.8 --hot-fraction 0.1"; do
  for classes in 25 100,80,50,40; do
    # shellcheck disable=SC2086
    "$paramoe" plan placement --ep 8,16,32,64,128,256 --traffic zipf,hot --seeds 10 $skew \
      --speeds "$classes" --bandwidth "$classes" --csv "$csv"
  done
done
