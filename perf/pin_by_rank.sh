#!/usr/bin/env bash
# pin_by_rank.sh CPULIST CMD...: runs CMD pinned to the CPU that CPULIST (comma
# separated, one per local rank) gives this rank, e.g. "0,1,1" puts rank 0 alone on
# CPU 0 and ranks 1 and 2 on CPU 1: unequal devices, emulated honestly.
set -euo pipefail
IFS=, read -r -a cpus <<<"$1"; shift
rank=${OMPI_COMM_WORLD_LOCAL_RANK:-${SLURM_LOCALID:-0}}
exec taskset -c "${cpus[$rank]}" "$@"
