#!/usr/bin/env bash
# Runs on the GPU machine (the `device` tool), from the repository root, after
#   jobs/device/pack.sh build/tests/test_cuda_* build/perf/bench_cuda_* ...
# here. Runs the GPU tests and benchmarks that were packed and writes every log
# and result under $OUT. Usage there: bash jobs/device/gpu_check.sh
set -uo pipefail
source jobs/device/unpack.sh
out=${OUT:-/tmp/out}
mkdir -p "$out"
{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  grep PRETTY_NAME /etc/os-release
  command -v mpirun && mpirun --version | head -1
} 2>&1 | tee "$out/machine.txt"
status=0
for t in "$PACK"/bin/test_cuda_*; do
  name=$(basename "$t")
  echo "== $name"
  "$t" --gtest_output="xml:$out/$name.xml" >"$out/$name.log" 2>&1 || status=1
  tail -3 "$out/$name.log"
done
for t in "$PACK"/bin/test_mpi_*; do
  [[ -e $t ]] || continue
  name=$(basename "$t")
  for np in 1 2; do
    echo "== $name np$np"
    mpirun --oversubscribe -np "$np" "$t" >"$out/$name.np$np.log" 2>&1 || status=1
    tail -3 "$out/$name.np$np.log"
  done
done
for b in "$PACK"/bin/bench_cuda_*; do
  name=$(basename "$b")
  echo "== $name"
  "$b" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/$name.json" --benchmark_out_format=json >"$out/$name.log" 2>&1 || status=1
  grep -E "median|ERROR" "$out/$name.log" | head -40
done
exit $status
