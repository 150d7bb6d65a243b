#!/usr/bin/env bash
# restart_bitexact.sh NP [--set parallel.…]: 20 steps straight, and 10 steps + checkpoint + restart +
# 10 steps, under the same layout, give bit-identical losses and final parameters
# and optimizer moments (within LOSS_RTOL on the GPU: common.sh).
source "$(dirname "$0")/common.sh"
np=$1; shift
common=(--set train.steps=20 --set checkpoint.every=5 "$@")
train "$np" "${common[@]}" --set checkpoint.dir=straight --set train.metrics_csv=straight.csv \
  > straight.log 2>&1 || { cat straight.log; fail "straight run"; }
train "$np" "${common[@]}" --set checkpoint.dir=split --set checkpoint.exit_after=10 \
  --set train.metrics_csv=split.csv > first.log 2>&1 || { cat first.log; fail "first half"; }
grep -q "stopping at step 10 of 20" first.log || fail "first half did not stop at step 10"
train "$np" "${common[@]}" --set checkpoint.dir=split --set train.metrics_csv=split.csv --resume \
  > second.log 2>&1 || { cat second.log; fail "second half"; }
grep -q "resume: split/ckpt-00000010.h5 at step 10" second.log || fail "did not resume at 10"
same_losses straight.csv split.csv || fail "losses differ"
ok "losses of steps 1-20 $same_how ($(losses split.csv | wc -l) rows, 17 significant digits)"
same_state straight/ckpt-00000020.h5 split/ckpt-00000020.h5 || fail "state differs after the restart"
[[ -n ${LOSS_RTOL:-} ]] || ok "final parameters and AdamW moments bit-identical (h5diff, no tolerance)"
