#!/usr/bin/env bash
# independent_read.sh: train 12 steps at np 4 (mp=2, ep=2, esp=2) with a checkpoint
# at step 10, then check it with h5py + PyTorch (check_with_pytorch.py) against the
# loss paramoe logged for step 11.
source "$(dirname "$0")/common.sh"
train 4 --set train.steps=12 --set checkpoint.dir=ck --set checkpoint.every=10 \
  --set train.metrics_csv=m.csv > run.log 2>&1 || { cat run.log; fail "training"; }
"$PYTHON" "$HERE/check_with_pytorch.py" ck/ckpt-00000010.h5 m.csv
