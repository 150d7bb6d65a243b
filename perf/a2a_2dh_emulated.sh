#!/usr/bin/env bash
# a2a_2dh_emulated.sh [OUT.csv] [ROUNDS]: Tutel's 2DH all-to-all against native and
# Aurora's greedy order on the emulated two-node cluster (jobs/emulated, 1 Gbit/s
# links), at 2 x 2 and 2 x 4 ranks, uniform and hot-expert traffic, small (64
# tokens per rank) and large (1024) messages. Each `bench a2a` run times the
# methods in turn on one matrix (every byte checked); ROUNDS runs per point, the
# median is taken by perf/results' README. `auto` prices flat against 2DH with
# the calibrated cluster file, whose α-β figure for each is the model_ms column.
# Root needed (namespaces); run from the repository root after building.
set -euo pipefail
out=${1:-perf/results/a2a_2dh_emulated.csv} rounds=${2:-3}
bin=${PARAMOE_BIN:-build/app/paramoe}
cluster=inputs/clusters/emulated-2x2-1gbit.toml
rm -f "$out"
jobs/emulated/cluster.sh up 2 1gbit
trap 'jobs/emulated/cluster.sh down' EXIT
for round in $(seq "$rounds"); do
  for np in 4 8; do
    for traffic in uniform hot; do
      for tokens in 64 1024; do
        echo "round $round: np $np, $traffic, $tokens tokens per rank"
        jobs/emulated/cluster.sh run "$np" "$bin" bench a2a --traffic "$traffic" --tokens "$tokens" \
          --repeats 7 --methods native,ordered-greedy,2dh,auto --cluster "$cluster" \
          --csv "$out.$tokens" </dev/null | tail -5
      done
    done
  done
done
# One table: the tokens per rank as a column.
{
  head -1 "$out.64" | sed 's/^/tokens,/'
  for tokens in 64 1024; do tail -n +2 "$out.$tokens" | sed "s/^/$tokens,/"; done
} >"$out"
rm -f "$out.64" "$out.1024"
