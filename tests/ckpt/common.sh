# Sourced by the checkpoint scenario scripts. CTest sets PARAMOE (the binary),
# MPIEXEC (mpiexec with its flags), CONFIG (the tiny model) and PYTHON; EXTRA_SET
# (optional) holds --set options every run gets (the GPT model's data file).
set -euo pipefail
: "${PARAMOE:?} ${MPIEXEC:?} ${CONFIG:?}"
PYTHON=${PYTHON:-/usr/bin/python3}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d /tmp/paramoe_ckpt_XXXXXX)
cleanup_hooks=()
cleanup() {
  for h in "${cleanup_hooks[@]}"; do eval "$h" || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "OK: $*"; }

# train NP [paramoe train options...]: runs paramoe train on the tiny config.
train() {
  local np=$1; shift
  # shellcheck disable=SC2086  # EXTRA_SET is a list of words
  timeout 120 $MPIEXEC -np "$np" "$PARAMOE" train "$CONFIG" ${EXTRA_SET:-} "$@"
}

# expect_error LOG REGEX RC: the run failed cleanly, saying REGEX.
expect_error() {
  local log=$1 regex=$2 rc=$3
  [[ $rc -ne 0 ]] || fail "expected a non-zero exit ($log)"
  [[ $rc -ne 124 ]] || fail "timed out: a rank hung ($log)"
  grep -Eq -- "$regex" "$log" || { cat "$log"; fail "no line matches /$regex/"; }
  if grep -Eiq "segmentation|backtrace|core dumped|terminate called|MPI_ABORT" "$log"; then
    cat "$log"; fail "crash or abort instead of a clean error"
  fi
}

# step,loss,aux_loss,z_loss columns of a metrics CSV, without the header.
losses() { cut -d, -f1-4 "$1" | tail -n +2; }

# How two runs that should agree are compared: bit for bit, or, where LOSS_RTOL is
# set (the GPU scenarios, tests/ckpt/on_gpu.sh), every step's loss within LOSS_RTOL
# relative, since the GPU's LayerNorm and embedding gradients sum with atomics in
# no fixed order and no two GPU runs are bit-identical.
if [[ -n ${LOSS_RTOL:-} ]]; then same_how="within ${LOSS_RTOL} relative"; else same_how="bit-identical"; fi

# same_losses A.csv B.csv: the runs' losses agree (as same_how says).
same_losses() {
  if [[ -z ${LOSS_RTOL:-} ]]; then
    diff <(losses "$1") <(losses "$2")
    return
  fi
  "$PYTHON" - "$1" "$2" "$LOSS_RTOL" <<'PY'
import csv, sys
a = {int(r["step"]): float(r["loss"]) for r in csv.DictReader(open(sys.argv[1]))}
b = {int(r["step"]): float(r["loss"]) for r in csv.DictReader(open(sys.argv[2]))}
if sorted(a) != sorted(b):
    sys.exit(f"steps differ: {sorted(a)} vs {sorted(b)}")
worst = max(abs(b[s] - a[s]) / abs(a[s]) for s in a)
print(f"worst relative loss difference {worst:.2e} over {len(a)} steps (tolerance {sys.argv[3]})")
sys.exit(worst > float(sys.argv[3]))
PY
}

# same_state A.h5 B.h5: the checkpoints' parameters and AdamW moments bit-identical
# (h5diff, no tolerance). Skipped where LOSS_RTOL is set: there the losses, which
# the restored values and moments drive, are the comparison.
same_state() {
  if [[ -n ${LOSS_RTOL:-} ]]; then
    echo "(state of $1 and $2 compared through the losses only)"
    return
  fi
  for g in /params /optimizer; do
    h5diff -q "$1" "$2" $g $g || { echo "$g differs"; return 1; }
  done
}

latest_of() { cat "$1/latest"; }

# resumed_losses_follow REF.csv GOT.csv NAME: a run resumed from the step-10
# checkpoint follows the straight run REF over steps 11-20. Step 11 is a forward
# pass on the loaded weights: only the reduction order of the new layout differs
# (fp32 sums over D=64 and H=128 terms and over ranks), so about 1e-7 relative per
# output, less after averaging the squared error (measured: < 1e-8). Later steps
# carry that rounding through AdamW updates, hence 1e-5; the loss itself changes
# by ~1e-2 per step, so loading the wrong slab, stale moments or a wrong data
# position would show.
resumed_losses_follow() {
  "$PYTHON" - "$1" "$2" "$3" <<'PY' || fail "$3: losses differ"
import csv, sys
ref = {int(r["step"]): float(r["loss"]) for r in csv.DictReader(open(sys.argv[1]))}
got = {int(r["step"]): float(r["loss"]) for r in csv.DictReader(open(sys.argv[2]))}
worst = 0.0
for step in range(11, 21):
    rel = abs(got[step] - ref[step]) / abs(ref[step])
    tol = 1e-6 if step == 11 else 1e-5
    worst = max(worst, rel)
    if rel > tol:
        sys.exit(f"step {step}: loss {got[step]!r} vs {ref[step]!r}, rel {rel:.2e} > {tol}")
print(f"OK: {sys.argv[3]}: steps 11-20 match the straight run, worst relative difference {worst:.2e}")
PY
}
