#!/usr/bin/env bash
# mpirun launcher: jobs/local/train.sh NP CONFIG [--set k=v ...]
# Ranks are mapped by core, filling one node before the next, so consecutive ranks
# (an MP group) share a node.
# Stopping a run safely: `kill -USR1 <mpirun pid>` (mpirun forwards it at once):
# the ranks finish the step, save a checkpoint and exit. `kill -TERM <mpirun pid>`
# works too, but Open MPI 4.1's mpirun passes SIGTERM on only after
# odls_base_sigkill_timeout seconds and SIGKILLs the ranks as long again later (1 s
# by default, too short for most saves), so this script raises it to KILL_GRACE
# (default 60 s). Ctrl-C is SIGINT: no checkpoint.
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
  --mca odls_base_sigkill_timeout "${KILL_GRACE:-60}" \
  "${PARAMOE_BIN:-build/app/paramoe}" train "$config" "$@"
