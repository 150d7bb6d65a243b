#!/usr/bin/env bash
# preemption.sh USR1|TERM|TERM_MPIRUN: a signal during training makes every rank
# write a checkpoint at the next step boundary and exit 0; a resumed run continues
# from it. USR1 goes to mpirun, which forwards it to the ranks (Slurm's
# --signal=USR1@120 reaches srun the same way); TERM goes to the ranks themselves,
# as Slurm sends it to every task before killing a job.
# TERM_MPIRUN: SIGTERM to mpirun itself, with a save that takes 4 s
# (PARAMOE_FAULT_CKPT_SLOW). Open MPI 4.1's mpirun then sends SIGCONT, waits
# odls_base_sigkill_timeout seconds (T, 1 by default), sends SIGTERM, waits T again
# and sends SIGKILL; while it waits it forwards no output, so these runs log no
# step lines (rank 0 would block on a full pipe). First the save is shown lost at T = 1,
# then written with T = 10 (jobs/local/train.sh sets KILL_GRACE, default 60).
source "$(dirname "$0")/common.sh"
sig=$1
np=4
quiet=()
started="^step *5/"
if [[ $sig == TERM_MPIRUN ]]; then
  export PARAMOE_FAULT_CKPT_SLOW=4
  $MPIEXEC -np $np "$PARAMOE" train "$CONFIG" --set train.steps=100000 \
    --set checkpoint.dir=lost --set train.log_every=100000 > lost.log 2>&1 &
  launcher=$!
  for _ in $(seq 600); do grep -q "backward:" lost.log && break; sleep 0.1; done
  sleep 1
  kill -TERM $launcher
  wait $launcher || true
  [[ ! -s lost/latest ]] || fail "a checkpoint survived mpirun's default 1 s SIGKILL timeout"
  ok "TERM to mpirun at its default kill timeout: the 4 s save is lost (as documented)"
  export OMPI_MCA_odls_base_sigkill_timeout=10
  quiet=(--set train.log_every=100000)
  started="backward:"
fi
$MPIEXEC -np $np "$PARAMOE" train "$CONFIG" --set train.steps=100000 \
  --set checkpoint.dir=ck --set checkpoint.every=0 "${quiet[@]}" > run.log 2>&1 &
launcher=$!
for _ in $(seq 600); do  # wait (up to 60 s) until training is under way
  grep -q "$started" run.log && break
  sleep 0.1
done
grep -q "$started" run.log || { kill -9 $launcher; cat run.log; fail "training did not start"; }
[[ $sig != TERM_MPIRUN ]] || sleep 1
case $sig in
USR1) kill -USR1 $launcher ;;
TERM) pkill -TERM -P $launcher ;;
TERM_MPIRUN) kill -TERM $launcher ;;
esac
for _ in $(seq 600); do kill -0 $launcher 2>/dev/null || break; sleep 0.1; done
if kill -0 $launcher 2>/dev/null; then kill -9 $launcher; fail "still running 60 s after SIG$sig"; fi
rc=0; wait $launcher || rc=$?
# mpirun reports its own SIGTERM as a failure, whatever the ranks returned.
[[ $rc -eq 0 || $sig == TERM_MPIRUN ]] || { tail -20 run.log; fail "exit $rc after SIG$sig (expected 0)"; }
line=$(grep "preempted by SIG${sig%_MPIRUN}: checkpoint written at step" run.log) ||
  { tail -20 run.log; fail "no preemption message"; }
step=$(sed -E 's/.*at step ([0-9]+).*/\1/' <<<"$line")
[[ $(latest_of ck) == $(printf "ckpt-%08d.h5" "$step") ]] || fail "latest is $(latest_of ck), not step $step"
ok "SIG$sig: checkpoint at step $step, exit $rc"
unset PARAMOE_FAULT_CKPT_SLOW
target=$((step + 3))
timeout 120 $MPIEXEC -np $np "$PARAMOE" train "$CONFIG" --set train.steps=$target \
  --set checkpoint.dir=ck --resume > resume.log 2>&1 || { cat resume.log; fail "resume"; }
grep -q "resume: ck/$(printf "ckpt-%08d.h5" "$step") at step $step" resume.log ||
  { cat resume.log; fail "did not resume at step $step"; }
grep -Eq "^step +$target/$target" resume.log || { cat resume.log; fail "did not reach step $target"; }
ok "resumed at step $step and trained to $target"
