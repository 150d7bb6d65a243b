#!/usr/bin/env bash
# mpirun launcher: jobs/local/train.sh NP CONFIG [--set k=v ...]
# Ranks are mapped by core, filling one node before the next, so consecutive ranks
# (an MP group) share a node.
set -euo pipefail
np=${1:?usage: jobs/local/train.sh NP CONFIG [--set k=v ...]}
config=${2:?usage: jobs/local/train.sh NP CONFIG [--set k=v ...]}
shift 2
extra=()
if [[ $(id -u) -eq 0 ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
if (( np > $(nproc) )); then extra+=(--oversubscribe); fi
exec mpirun -np "$np" --map-by core "${extra[@]}" -x OPENBLAS_NUM_THREADS=1 \
  "${PARAMOE_BIN:-build/app/paramoe}" train "$config" "$@"
