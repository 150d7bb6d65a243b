#!/usr/bin/env bash
# reshard.sh [--set …]: a checkpoint written at step 10 under np 4 (mp=2, ep=2, esp=2) resumes
# under (mp=1, ep=4), (mp=4, esp=4, ep=1), np 2 and np 1. The loss of step 11 (the
# forward pass on the loaded weights and data position) matches the straight
# np 4 run to fp32 rounding, and training continues with the loaded AdamW moments:
# steps 12-20 follow the straight run.
source "$(dirname "$0")/common.sh"
common=(--set train.steps=20)
for a in "$@"; do [[ -n $a ]] && common+=("$a"); done  # CTest may pass an empty one
train 4 "${common[@]}" --set train.metrics_csv=straight.csv > straight.log 2>&1 ||
  { cat straight.log; fail "straight run"; }
train 4 "${common[@]}" --set checkpoint.dir=src --set checkpoint.exit_after=10 > first.log 2>&1 ||
  { cat first.log; fail "first half"; }
targets=("4 1 4 1" "4 4 1 4" "2 1 2 1" "1 1 1 1")
for t in "${targets[@]}"; do
  read -r np mp ep esp <<<"$t"
  name="np${np}_mp${mp}_ep${ep}_esp${esp}"
  cp -r src "$name"
  train "$np" "${common[@]}" --set parallel.mp="$mp" --set parallel.ep="$ep" \
    --set parallel.esp="$esp" --set checkpoint.dir="$name" --set train.metrics_csv="$name.csv" \
    --resume > "$name.log" 2>&1 || { cat "$name.log"; fail "resume under $name"; }
  grep -q "resharded to world=$np mp=$mp ep=$ep esp=$esp" "$name.log" ||
    { cat "$name.log"; fail "$name: no resharding line"; }
  resumed_losses_follow straight.csv "$name.csv" "$name"
done
