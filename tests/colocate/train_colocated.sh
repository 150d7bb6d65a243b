#!/usr/bin/env bash
# train_colocated.sh: two GPT-MoE models trained at once on the same 4 ranks
# (paramoe train A --colocate B) give, each, the losses it gives trained alone, bit
# for bit: B has another seed and another layout (ep 4 against A's mp 2 ep 2 esp 2).
# Both models checkpoint every 3 steps (so their collective HDF5 writes meet and
# must take turns, ckpt/hdf5_turn.h), each into its own directory; a colocated
# run stopped after 6 steps and resumed with --resume gives the same 12 losses
# again. And what cannot work fails cleanly: both models writing one metrics file
# or one checkpoint directory, --resume naming one file, a B layout that does not
# fit the world.
# CTest sets PARAMOE, MPIEXEC, CONFIG (the tiny GPT), EXTRA_SET (its corpus) and PYTHON.
source "$(dirname "$0")/../ckpt/common.sh"
INPUTS=$(cd "$(dirname "$0")/../inputs" && pwd)
steps=(--set train.steps=12)
b_keys=(train.seed=99 parallel.mp=1 parallel.ep=4 parallel.esp=1)
as_set() { for k in "$@"; do printf -- '--set\n%s\n' "$k"; done; }
as_set_b() { for k in "$@"; do printf -- '--set-b\n%s\n' "$k"; done; }
mapfile -t b_alone < <(as_set "${b_keys[@]}")
mapfile -t b_colocated < <(as_set_b "${b_keys[@]}")

train 4 "${steps[@]}" --set train.metrics_csv=a_alone.csv > a.log 2>&1 || { cat a.log; fail "A alone"; }
train 4 "${steps[@]}" "${b_alone[@]}" --set train.metrics_csv=b_alone.csv > b.log 2>&1 ||
  { cat b.log; fail "B alone"; }
train 4 "${steps[@]}" --set train.metrics_csv=a.csv --colocate "$CONFIG" "${b_colocated[@]}" \
  --set-b train.metrics_csv=b.csv > both.log 2>&1 || { cat both.log; fail "colocated"; }
grep -q "^\[A\] step" both.log && grep -q "^\[B\] step" both.log ||
  { cat both.log; fail "expected step lines of both models, prefixed [A] and [B]"; }
diff <(losses a_alone.csv) <(losses a.csv) || fail "A's losses differ colocated"
diff <(losses b_alone.csv) <(losses b.csv) || fail "B's losses differ colocated"
cmp -s <(losses a.csv) <(losses b.csv) && fail "A and B trained alike: B's keys did not apply"
ok "colocated: both models' losses of 12 steps bit-identical to training each alone"

ck=(--set checkpoint.every=3 --set checkpoint.keep=10 --set checkpoint.dir=ck_a
  --set-b checkpoint.dir=ck_b)
train 4 "${steps[@]}" "${ck[@]}" --set train.metrics_csv=a_ck.csv --colocate "$CONFIG" \
  "${b_colocated[@]}" --set-b train.metrics_csv=b_ck.csv > ck.log 2>&1 || { cat ck.log; fail "colocated with checkpoints"; }
diff <(losses a_alone.csv) <(losses a_ck.csv) || fail "A's losses differ colocated with checkpoints"
diff <(losses b_alone.csv) <(losses b_ck.csv) || fail "B's losses differ colocated with checkpoints"
for m in a b; do
  for step in 3 6 9 12; do
    [[ -f ck_$m/$(printf 'ckpt-%08d.h5' "$step") ]] || { ls -l "ck_$m"; fail "no step-$step checkpoint of $m"; }
  done
  grep -q "ckpt-00000012.h5" "ck_$m/latest" || fail "ck_$m/latest does not name step 12"
done
ok "colocated: both models checkpoint at steps 3, 6, 9 and 12 into their own directories"

rm -rf ck_a ck_b
train 4 "${steps[@]}" "${ck[@]}" --set checkpoint.exit_after=6 --set train.metrics_csv=a_re.csv \
  --colocate "$CONFIG" "${b_colocated[@]}" --set-b train.metrics_csv=b_re.csv > re1.log 2>&1 ||
  { cat re1.log; fail "colocated, stopping after 6 steps"; }
train 4 "${steps[@]}" "${ck[@]}" --set train.metrics_csv=a_re.csv --resume --colocate "$CONFIG" \
  "${b_colocated[@]}" --set-b train.metrics_csv=b_re.csv > re2.log 2>&1 ||
  { cat re2.log; fail "colocated --resume"; }
grep -q "^\[A\] resume: .*ck_a/ckpt-00000006.h5 at step 6" re2.log &&
  grep -q "^\[B\] resume: .*ck_b/ckpt-00000006.h5 at step 6" re2.log ||
  { cat re2.log; fail "expected both models to resume at step 6"; }
diff <(losses a_alone.csv) <(losses a_re.csv) || fail "A's losses differ after a colocated restart"
diff <(losses b_alone.csv) <(losses b_re.csv) || fail "B's losses differ after a colocated restart"
ok "colocated: stopped after 6 steps and resumed, both models' 12 losses bit-identical"

rc=0; train 4 "${steps[@]}" --set train.metrics_csv=same.csv --colocate "$CONFIG" > bad.log 2>&1 || rc=$?
expect_error bad.log "--colocate: both models write train.metrics_csv = same.csv; expected one of each model's own" $rc
rc=0; train 4 "${steps[@]}" --set checkpoint.dir=ck_same --set checkpoint.overwrite=true \
  --colocate "$CONFIG" > bad.log 2>&1 || rc=$?
expect_error bad.log "--colocate: both models write checkpoint.dir = ck_same; expected one of each model's own" $rc
rc=0; train 4 "${steps[@]}" "${ck[@]}" --resume ck_a --colocate "$CONFIG" > bad.log 2>&1 || rc=$?
expect_error bad.log "--colocate: --resume ck_a: expected --resume alone" $rc
rc=0; train 4 "${steps[@]}" --colocate "$INPUTS/gpt_tiny_ep8.toml" > bad.log 2>&1 || rc=$?
expect_error bad.log "--colocate .*gpt_tiny_ep8.toml: .*parallel.ep=8" $rc
ok "bad colocations fail cleanly"
