#!/usr/bin/env bash
# train_colocated.sh: two GPT-MoE models trained at once on the same 4 ranks
# (paramoe train A --colocate B) give, each, the losses it gives trained alone, bit
# for bit: B has another seed and another layout (ep 4 against A's mp 2 ep 2 esp 2).
# And what cannot work fails cleanly: both models writing one metrics file, a
# checkpoint directory, a B layout that does not fit the world.
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

rc=0; train 4 "${steps[@]}" --set train.metrics_csv=same.csv --colocate "$CONFIG" > bad.log 2>&1 || rc=$?
expect_error bad.log "--colocate: both models write train.metrics_csv = same.csv; expected a file of each model's own" $rc
rc=0; train 4 "${steps[@]}" --colocate "$CONFIG" --set-b checkpoint.dir=ck > bad.log 2>&1 || rc=$?
expect_error bad.log "checkpoint.dir = ck: colocated training does not write checkpoints yet" $rc
rc=0; train 4 "${steps[@]}" --colocate "$INPUTS/gpt_tiny_ep8.toml" > bad.log 2>&1 || rc=$?
expect_error bad.log "--colocate .*gpt_tiny_ep8.toml: .*parallel.ep=8" $rc
ok "bad colocations fail cleanly"
