#!/usr/bin/env bash
# The EP all-to-all measured on this machine (paramoe bench a2a): native,
# pairwise and ordered (greedy, BvN) on (a) the traffic matrix of a real training
# run's last step (train.traffic_csv; 32 experts, 8192 tokens/step, ep = np) and
# (b) generated Zipf and hot-expert traffic; 4096 B per row (d = 1024, fp32).
# Each time is the median of 20 repeats, against the bound from the port
# bandwidth measured in the same run.
# Usage: perf/a2a_measured.sh [OUT.csv]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
csv=${1:-perf/results/a2a_measured.csv}
paramoe=${PARAMOE:-$here/build/app/paramoe}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
mpi=(mpirun --oversubscribe)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -f "$csv"
for np in 4 8; do
  "${mpi[@]}" -np "$np" "$paramoe" train "$here/inputs/moe-tiny.toml" --set parallel.mp=1 \
    --set parallel.esp=1 --set parallel.ep="$np" --set moe.num_experts=32 --set train.steps=20 \
    --set train.tokens_per_step=8192 --set train.log_every=20 \
    --set train.traffic_csv="$work/trained_ep$np.csv" >/dev/null
  for traffic in "$work/trained_ep$np.csv" zipf hot; do
    "${mpi[@]}" -np "$np" "$paramoe" bench a2a --traffic "$traffic" --tokens 2048 --repeats 20 \
      --csv "$csv"
  done
done
