#!/usr/bin/env bash
# The scaling-study driver: runs every point of a list through mpirun (or the
# emulated cluster) and collects one CSV.
#
#   jobs/scaling/run.sh POINTS.csv OUT.csv [CONFIG] [CLUSTER]
#
# POINTS.csv has the header `study,ranks,mp,ep,esp,schedule,chunks,tokens`. Each
# point runs `paramoe bench layer CONFIG` with that layout, schedule and global
# tokens per step. `study` names the curve it belongs to, e.g. weak (tokens grow
# with the ranks) or strong (tokens fixed). With a CLUSTER file, each row also
# carries the predicted time.
#
# Variables a user sets:
#   LAUNCHER      how to start NP ranks; default "mpirun --oversubscribe -np".
#                 Use "jobs/emulated/cluster.sh run" for the emulated cluster, or
#                 "srun -n" inside a Slurm allocation.
#   PARAMOE_BIN   the binary (default build/app/paramoe)
#   REPEATS       timed repeats per point (default 5)
# CONFIG defaults to inputs/bench/layer-cpu.toml.
set -euo pipefail
points=${1:?usage: jobs/scaling/run.sh POINTS.csv OUT.csv [CONFIG] [CLUSTER]}
out=${2:?usage: jobs/scaling/run.sh POINTS.csv OUT.csv [CONFIG] [CLUSTER]}
root=$(cd "$(dirname "$0")/../.." && pwd)
config=${3:-$root/inputs/bench/layer-cpu.toml}
cluster=${4:-}
bin=${PARAMOE_BIN:-$root/build/app/paramoe}
read -r -a launcher <<<"${LAUNCHER:-mpirun --oversubscribe -np}"
[[ $(id -u) -eq 0 ]] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
header=$(head -1 "$points")
[[ $header == "study,ranks,mp,ep,esp,schedule,chunks,tokens" ]] ||
  { echo "run.sh: $points: expected the header study,ranks,mp,ep,esp,schedule,chunks,tokens" >&2; exit 1; }
first=1
tail -n +2 "$points" | while IFS=, read -r study ranks mp ep esp schedule chunks tokens; do
  [[ -z $study || $study == \#* ]] && continue
  args=(--schedules "$schedule" --repeats "${REPEATS:-5}" --csv "$tmp/point.csv"
    --set "parallel.mp=$mp" --set "parallel.ep=$ep" --set "parallel.esp=$esp"
    --set "moe.chunks=$chunks" --set "bench.tokens_per_step=$tokens")
  [[ -n $cluster ]] && args+=(--set "plan.cluster=\"$cluster\"")
  rm -f "$tmp/point.csv"
  echo "== $study: $ranks ranks, mp=$mp ep=$ep esp=$esp, $schedule, $tokens tokens"
  "${launcher[@]}" "$ranks" "$bin" bench layer "$config" "${args[@]}" </dev/null | tail -1
  if [[ $first == 1 && ! -s $out ]]; then echo "study,$(head -1 "$tmp/point.csv")" >"$out"; fi
  first=0
  tail -n +2 "$tmp/point.csv" | sed "s/^/$study,/" >>"$out"
done
echo "run.sh: results in $out"
