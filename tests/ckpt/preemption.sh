#!/usr/bin/env bash
# preemption.sh USR1|TERM: a signal during training makes every rank write a
# checkpoint at the next step boundary and exit 0; a resumed run continues from it.
# USR1 goes to mpirun, which forwards it to the ranks (Slurm's --signal=USR1@120
# reaches srun the same way); TERM goes to the ranks themselves, as Slurm sends it
# to every task before killing a job.
source "$(dirname "$0")/common.sh"
sig=$1
np=4
$MPIEXEC -np $np "$PARAMOE" train "$CONFIG" --set train.steps=100000 \
  --set checkpoint.dir=ck --set checkpoint.every=0 > run.log 2>&1 &
launcher=$!
for _ in $(seq 600); do  # wait (up to 60 s) until training is under way
  grep -q "^step *5/" run.log && break
  sleep 0.1
done
grep -q "^step *5/" run.log || { kill -9 $launcher; cat run.log; fail "training did not start"; }
if [[ $sig == USR1 ]]; then
  kill -USR1 $launcher
else
  pkill -TERM -P $launcher
fi
for _ in $(seq 600); do kill -0 $launcher 2>/dev/null || break; sleep 0.1; done
if kill -0 $launcher 2>/dev/null; then kill -9 $launcher; fail "still running 60 s after SIG$sig"; fi
rc=0; wait $launcher || rc=$?
[[ $rc -eq 0 ]] || { tail -20 run.log; fail "exit $rc after SIG$sig (expected 0)"; }
line=$(grep "preempted by SIG$sig: checkpoint written at step" run.log) ||
  { tail -20 run.log; fail "no preemption message"; }
step=$(sed -E 's/.*at step ([0-9]+).*/\1/' <<<"$line")
[[ $(latest_of ck) == $(printf "ckpt-%08d.h5" "$step") ]] || fail "latest is $(latest_of ck), not step $step"
ok "SIG$sig: checkpoint at step $step, exit 0"
target=$((step + 3))
timeout 120 $MPIEXEC -np $np "$PARAMOE" train "$CONFIG" --set train.steps=$target \
  --set checkpoint.dir=ck --resume > resume.log 2>&1 || { cat resume.log; fail "resume"; }
grep -q "resume: ck/$(printf "ckpt-%08d.h5" "$step") at step $step" resume.log ||
  { cat resume.log; fail "did not resume at step $step"; }
grep -Eq "^step +$target/$target" resume.log || { cat resume.log; fail "did not reach step $target"; }
ok "resumed at step $step and trained to $target"
