#!/usr/bin/env bash
# on_gpu.sh RTOL SCENARIO [ARGS...]: a checkpoint scenario of this folder with the
# model on the GPU (device.type = cuda; NCCL, or MPI staged through host memory
# where ranks share the GPU), its runs compared within RTOL rather than bit for bit
# (common.sh: same_losses). It checks what only a device run exercises: the
# parameters and moments brought to the host before a checkpoint and an expert
# move, and back after a restore and a move. Prints "no GPU: <why>" and exits 0
# where no GPU is found, which CTest reports as skipped.
set -euo pipefail
: "${PARAMOE:?} ${MPIEXEC:?} ${CONFIG:?}"
rtol=$1 scenario=$2
shift 2
probe=$(mktemp)
trap 'rm -f "$probe"' EXIT
# shellcheck disable=SC2086  # MPIEXEC and EXTRA_SET are word lists
if ! timeout 120 $MPIEXEC -np 1 "$PARAMOE" train "$CONFIG" ${EXTRA_SET:-} --set train.steps=1 \
  --set parallel.mp=1 --set parallel.ep=1 --set parallel.esp=1 --set device.type=cuda \
  >"$probe" 2>&1; then
  if grep -q "sees no GPU" "$probe"; then
    echo "no GPU: $(grep -o 'sees no GPU.*' "$probe" | head -1)"
    exit 0
  fi
  cat "$probe"
  echo "FAIL: the GPU probe run failed"
  exit 1
fi
EXTRA_SET="${EXTRA_SET:-} --set device.type=cuda" LOSS_RTOL=$rtol \
  exec bash "$(dirname "$0")/$scenario" "$@"
