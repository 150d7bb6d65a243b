#!/usr/bin/env bash
# uneven_split.sh: checkpoints stay layout-independent under parallel.split =
# "speed". A model-centric np 4 run whose ESP hidden slices follow unequal speeds
# (tests/inputs/cluster_uneven4.toml: slices 43/85 of H = 128) writes a checkpoint
# at step 10; it resumes with even slices at np 4 and at np 2, and an even run's
# checkpoint resumes with uneven slices. Steps 11-20 follow the straight uneven
# run (common.sh: resumed_losses_follow).
source "$(dirname "$0")/common.sh"
cluster=$(cd "$HERE/../inputs" && pwd)/cluster_uneven4.toml
common=(--set train.steps=20)
uneven=(--set parallel.split=speed --set plan.cluster="$cluster")
train 4 "${common[@]}" "${uneven[@]}" --set train.metrics_csv=straight.csv > straight.log 2>&1 ||
  { cat straight.log; fail "straight run"; }
grep -q "ESP hidden slices 43/85" straight.log || { cat straight.log; fail "no uneven split"; }
train 4 "${common[@]}" "${uneven[@]}" --set checkpoint.dir=uneven --set checkpoint.exit_after=10 \
  > first_uneven.log 2>&1 || { cat first_uneven.log; fail "first half (uneven)"; }
train 4 "${common[@]}" --set checkpoint.dir=even --set checkpoint.exit_after=10 \
  > first_even.log 2>&1 || { cat first_even.log; fail "first half (even)"; }
cp -r uneven to_even4
train 4 "${common[@]}" --set checkpoint.dir=to_even4 --set train.metrics_csv=to_even4.csv \
  --resume > to_even4.log 2>&1 || { cat to_even4.log; fail "uneven -> even np 4"; }
resumed_losses_follow straight.csv to_even4.csv to_even4
cp -r uneven to_even2
train 2 "${common[@]}" --set parallel.mp=1 --set parallel.ep=2 --set parallel.esp=1 \
  --set checkpoint.dir=to_even2 --set train.metrics_csv=to_even2.csv --resume > to_even2.log 2>&1 ||
  { cat to_even2.log; fail "uneven -> even np 2"; }
resumed_losses_follow straight.csv to_even2.csv to_even2
cp -r even to_uneven
train 4 "${common[@]}" "${uneven[@]}" --set checkpoint.dir=to_uneven \
  --set train.metrics_csv=to_uneven.csv --resume > to_uneven.log 2>&1 ||
  { cat to_uneven.log; fail "even -> uneven np 4"; }
resumed_losses_follow straight.csv to_uneven.csv to_uneven
ok "checkpoints move between even and speed-proportional splits"
