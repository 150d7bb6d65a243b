#!/usr/bin/env bash
# uneven_split.sh: checkpoints stay layout-independent under parallel.split =
# "speed". A model-centric np 4 run whose ESP hidden slices follow unequal speeds
# (tests/inputs/cluster_uneven4.toml: slices 43/85 of H = 128) writes a checkpoint
# at step 10; it resumes with even slices at np 4 and at np 2, and an even run's
# checkpoint resumes with uneven slices. Steps 11-20 follow the straight uneven
# run (the tolerances are reshard.sh's).
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
check() {  # name: its CSV against the straight run
  "$PYTHON" - straight.csv "$1.csv" "$1" <<'PY' || fail "$1: losses differ"
import csv, sys
ref = {int(r["step"]): float(r["loss"]) for r in csv.DictReader(open(sys.argv[1]))}
got = {int(r["step"]): float(r["loss"]) for r in csv.DictReader(open(sys.argv[2]))}
worst = 0.0
for step in range(11, 21):
    rel = abs(got[step] - ref[step]) / abs(ref[step])
    worst = max(worst, rel)
    tol = 1e-6 if step == 11 else 1e-5
    if rel > tol:
        sys.exit(f"step {step}: loss {got[step]!r} vs {ref[step]!r}, rel {rel:.2e} > {tol}")
print(f"OK: {sys.argv[3]}: steps 11-20 match the uneven run, worst relative difference {worst:.2e}")
PY
}
cp -r uneven to_even4
train 4 "${common[@]}" --set checkpoint.dir=to_even4 --set train.metrics_csv=to_even4.csv \
  --resume > to_even4.log 2>&1 || { cat to_even4.log; fail "uneven -> even np 4"; }
check to_even4
cp -r uneven to_even2
train 2 "${common[@]}" --set parallel.mp=1 --set parallel.ep=2 --set parallel.esp=1 \
  --set checkpoint.dir=to_even2 --set train.metrics_csv=to_even2.csv --resume > to_even2.log 2>&1 ||
  { cat to_even2.log; fail "uneven -> even np 2"; }
check to_even2
cp -r even to_uneven
train 4 "${common[@]}" "${uneven[@]}" --set checkpoint.dir=to_uneven \
  --set train.metrics_csv=to_uneven.csv --resume > to_uneven.log 2>&1 ||
  { cat to_uneven.log; fail "even -> uneven np 4"; }
check to_uneven
ok "checkpoints move between even and speed-proportional splits"
