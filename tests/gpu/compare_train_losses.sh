#!/usr/bin/env bash
# compare_train_losses.sh RTOL LAUNCH... -- PARAMOE CONFIG [--set ...]
# Trains twice with the same config and seed, once with device.type=cpu and once
# with device.type=cuda, and passes if every step's loss on the GPU is within RTOL
# (relative) of the CPU's, which runs fp32 whatever device.precision the GPU run
# has. Prints "no GPU: <why>" and exits 0 where there is no GPU, which CTest's
# SKIP_REGULAR_EXPRESSION reports as skipped.
set -u
rtol=$1
shift
launch=()
while [[ $1 != -- ]]; do launch+=("$1"); shift; done
shift
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if ! timeout 300 "${launch[@]}" "$@" --set device.type=cuda \
  --set "train.metrics_csv=\"$work/cuda.csv\"" >"$work/cuda.log" 2>&1; then
  if grep -q "sees no GPU" "$work/cuda.log"; then
    echo "no GPU: $(grep -o 'sees no GPU.*' "$work/cuda.log" | head -1)"
    exit 0
  fi
  cat "$work/cuda.log"
  echo "FAIL: the GPU run failed"
  exit 1
fi
if ! timeout 300 "${launch[@]}" "$@" --set device.type=cpu --set device.precision=fp32 \
  --set "train.metrics_csv=\"$work/cpu.csv\"" >"$work/cpu.log" 2>&1; then
  cat "$work/cpu.log"
  echo "FAIL: the CPU run failed"
  exit 1
fi
grep -m1 "device cuda" "$work/cuda.log"
paste -d, "$work/cpu.csv" "$work/cuda.csv" | awk -F, -v rtol="$rtol" '
  NR == 1 { n = NF / 2; next }  # header: step,loss,... twice
  { c = $2; g = $(n + 2); d = (g - c) / (c < 0 ? -c : c); if (d < 0) d = -d
    if (d > worst) { worst = d; at = $1 }
    printf "step %3d  cpu %.9f  cuda %.9f  rel %.2e\n", $1, c, g, d; steps++ }
  END { printf "%d steps, max relative loss difference %.3e at step %d (tolerance %s)\n",
               steps, worst, at, rtol
        if (steps == 0) { print "FAIL: no steps"; exit 1 }
        exit !(worst <= rtol) }'
rc=$?
[[ $rc -eq 0 ]] && echo "OK: the GPU losses follow the CPU's" || echo "FAIL: losses diverge"
exit $rc
