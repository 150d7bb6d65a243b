#!/usr/bin/env bash
# slurm_jobs.sh PARAMOE: the sbatch scripts of jobs/slurm on a real two-node Slurm
# on this host (jobs/slurm/local-cluster.sh), 2 nodes x 2 tasks, srun + PMIx:
#  1. train.sbatch trains, sees nodes=2 through MPI_COMM_TYPE_SHARED, and checkpoints;
#  2. SIGUSR1 to the batch script (as --signal=B:USR1@… sends it) reaches every rank,
#     paramoe checkpoints and exits 0; a resubmission resumes from that step;
#  3. bench-grid.sbatch and scaling.sbatch write their CSVs.
# Skips (77) without root or slurm-wlm.
set -u
bin=$1
root=$(cd "$(dirname "$0")/.." && pwd)
[[ $(id -u) -eq 0 ]] || { echo "skip: the local Slurm needs root"; exit 77; }
command -v slurmctld >/dev/null || { echo "skip: slurm-wlm not installed (./setup.sh)"; exit 77; }
work=$(mktemp -d /tmp/paramoe_slurm_XXXXXX)
cleanup() { "$root/jobs/slurm/local-cluster.sh" down "$work/cluster" >/dev/null 2>&1; rm -rf "$work"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.out "$work"/cluster/*.log; do [[ -f $f ]] && { echo "== $f"; tail -20 "$f"; }; done; exit 1; }
eval "$("$root/jobs/slurm/local-cluster.sh" up "$work/cluster")" || fail "the local Slurm did not start"
export PARAMOE_LOCAL_SLURM=1 PARAMOE_BIN=$bin
cd "$root"
sub() { timeout 240 sbatch --wait -N2 --ntasks-per-node=2 "$@"; }

# 1. A short training job.
CKPT_DIR=$work/ckpt1 sub -o "$work/train.out" jobs/slurm/train.sbatch inputs/moe-tiny.toml \
  --set train.steps=6 --set train.log_every=3 || fail "train.sbatch exited $?"
grep -q "world=4 nodes=2 mp=2" "$work/train.out" || fail "train.sbatch: not 2 nodes of 2 ranks"
grep -q "step     6/6" "$work/train.out" || fail "train.sbatch: no step 6"
[[ -s $work/ckpt1/latest ]] || fail "train.sbatch: no checkpoint in CKPT_DIR"
echo "OK: train.sbatch: 4 ranks on 2 nodes, 6 steps, checkpoint $(cat "$work/ckpt1/latest")"

# 2. Preemption: signal the batch script mid-run, then resume.
id=$(CKPT_DIR=$work/ckpt2 REQUEUE=0 sbatch --parsable -N2 --ntasks-per-node=2 -o "$work/pre.out" \
  jobs/slurm/train.sbatch inputs/moe-tiny.toml --set train.steps=100000 --set train.log_every=1)
for _ in $(seq 120); do grep -q "step     3/" "$work/pre.out" 2>/dev/null && break; sleep 0.5; done
grep -q "step     3/" "$work/pre.out" || fail "the long job did not start"
scancel --batch --signal=USR1 "$id"
for _ in $(seq 120); do squeue -h -j "$id" 2>/dev/null | grep -q . || break; sleep 0.5; done
squeue -h -j "$id" 2>/dev/null | grep -q . && { scancel "$id"; fail "the job did not stop on SIGUSR1"; }
step=$(grep -o "preempted by SIGUSR1: checkpoint written at step [0-9]*" "$work/pre.out" | grep -o "[0-9]*$")
[[ -n $step ]] || fail "no preemption checkpoint"
grep -q "train.sbatch: preempted (SIGUSR1); paramoe exited 0" "$work/pre.out" || fail "train.sbatch did not see the preemption"
CKPT_DIR=$work/ckpt2 sub -o "$work/resume.out" jobs/slurm/train.sbatch inputs/moe-tiny.toml \
  --set train.steps=$((step + 2)) || fail "resubmission exited $?"
grep -q "at step $step" "$work/resume.out" || fail "the resubmission did not resume at step $step"
echo "OK: SIGUSR1 -> checkpoint at step $step, exit 0; the resubmission resumed there"

# 3. The benchmark and scaling jobs.
sub -o "$work/grid.out" jobs/slurm/bench-grid.sbatch tests/inputs/grid_tiny.toml \
  inputs/clusters/ci-2core-4ranks.toml "$work/grid.csv" || fail "bench-grid.sbatch exited $?"
[[ $(tail -n +2 "$work/grid.csv" | wc -l) -ge 2 ]] || fail "bench-grid.sbatch: no rows"
REPEATS=1 sub -o "$work/scaling.out" jobs/slurm/scaling.sbatch tests/inputs/scaling_tiny.csv \
  "$work/scaling.csv" inputs/moe-tiny.toml || fail "scaling.sbatch exited $?"
[[ $(tail -n +2 "$work/scaling.csv" | wc -l) -eq 4 ]] || fail "scaling.sbatch: expected 4 rows"
echo "OK: bench-grid.sbatch ($(tail -n +2 "$work/grid.csv" | wc -l) rows) and scaling.sbatch (4 rows)"
