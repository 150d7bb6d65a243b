#!/usr/bin/env bash
# watchdog.sh SCENARIO: a rank that stops, or lags, in the middle of training.
#   sigstop    one rank of four is stopped (SIGSTOP): the job ends within the
#              watchdog's deadline with exit code 85, a report that names the
#              stopped rank, and no process left behind.
#   straggler  one rank sleeps in every step (debug.slow_rank): the straggler
#              report names it, in the step lines, a warning and the metrics JSONL.
#   off        watchdog.enabled = false trains to the same losses, bit for bit.
source "$(dirname "$0")/../ckpt/common.sh"
scenario=$1

case $scenario in
sigstop)
  # shellcheck disable=SC2086
  timeout 120 $MPIEXEC -np 4 "$PARAMOE" train "$CONFIG" --set train.steps=1000000 \
    --set watchdog.min_seconds=3 > run.log 2> err.log &
  launcher=$!
  for _ in $(seq 600); do grep -q "^step" run.log && break; sleep 0.1; done
  grep -q "^step" run.log || { cat err.log; fail "training did not start"; }
  # timeout -> mpirun -> the ranks; rank 2 by its Open MPI environment.
  mpirun_pid=$(pgrep -P "$launcher")
  ranks=$(pgrep -P "$mpirun_pid")
  stopped=""
  for p in $ranks; do
    grep -qz "^OMPI_COMM_WORLD_RANK=2$" "/proc/$p/environ" && stopped=$p
  done
  [[ -n $stopped ]] || fail "rank 2 not found among $ranks"
  kill -STOP "$stopped"
  t0=$(date +%s)
  set +e
  wait "$launcher"
  rc=$?
  set -e
  took=$(( $(date +%s) - t0 ))
  [[ $rc -eq 85 ]] || { cat err.log; fail "exit code $rc, expected the watchdog's 85"; }
  (( took <= 30 )) || fail "the job took $took s to end after the stop (deadline 3 s)"
  grep -Eq "paramoe watchdog: rank [013] \(host .*\) waited [0-9.]+ s in MPI_" err.log ||
    { cat err.log; fail "no watchdog report from a waiting rank"; }
  grep -Eq "rank 2 \(pid $stopped\): not responding, heartbeat [0-9.]+ s old" err.log ||
    { cat err.log; fail "the report does not name the stopped rank 2 (pid $stopped)"; }
  # Ranks may take a moment to exit after mpirun (SIGTERM, then SIGKILL).
  for p in $ranks; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$p" 2>/dev/null; then
      state=$(ps -o stat= -p "$p" || true)
      kill -KILL "$p"
      fail "rank process $p (state $state) was left behind 10 s after mpirun ended"
    fi
  done
  ok "stopped rank 2 named, job ended in $took s with exit code 85, no process left"
  ;;
straggler)
  train 4 --set train.steps=4 --set debug.slow_rank=2 --set debug.slow_seconds=0.3 \
    --set train.metrics_jsonl=m.jsonl > run.log 2> err.log || { cat err.log; fail "training"; }
  [[ $(grep -c "^step .* | slowest r2 [0-9.]*x compute$" run.log) -eq 4 ]] ||
    { cat run.log; fail "not every step line names rank 2 as the slowest, in compute"; }
  grep -Eq "straggler at step [0-9]+: rank 2 is busy [0-9.]+ s per step .* most of it in compute" \
    err.log || { cat err.log; fail "no straggler warning for rank 2"; }
  "$PYTHON" - <<'PY' || fail "metrics JSONL"
import json
rows = [json.loads(l) for l in open("m.jsonl")]
assert len(rows) == 4, rows
for r in rows:
    assert r["slowest_rank"] == 2 and r["slowest_phase"] == "compute", r
    assert r["slowest_ratio"] > 2.0, r
print("OK: every JSONL row names rank 2, ratios", [round(r["slowest_ratio"], 1) for r in rows])
PY
  ok "the straggler report names rank 2 (step lines, warning, JSONL)"
  ;;
off)
  train 4 --set train.steps=6 --set train.metrics_csv=on.csv > on.log 2>&1 || fail "watchdog on"
  train 4 --set train.steps=6 --set train.metrics_csv=off.csv --set watchdog.enabled=false \
    > off.log 2>&1 || fail "watchdog off"
  diff <(losses on.csv) <(losses off.csv) || fail "losses differ with the watchdog off"
  ok "watchdog.enabled = false trains to bit-identical losses"
  ;;
*)
  fail "unknown scenario $scenario"
  ;;
esac
