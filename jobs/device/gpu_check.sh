#!/usr/bin/env bash
# Runs on the GPU machine (the `device` tool), from the repository root, after
#   jobs/device/pack.sh build/tests/test_cuda_* build/perf/bench_cuda_* ...
# here. Runs the GPU tests and benchmarks that were packed and writes every log
# and result under $OUT. Usage there: bash jobs/device/gpu_check.sh
set -uo pipefail
source jobs/device/unpack.sh
# Logs gather in $work and go back as one archive (the tool returns at most 8 files).
work=/tmp/gpu_check
rm -rf "$work" && mkdir -p "$work"
out=$work
export PARAMOE_GOLDEN_DIR=$PWD/tests/golden
{
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
  grep PRETTY_NAME /etc/os-release
  command -v mpirun && mpirun --version | head -1
} 2>&1 | tee "$out/machine.txt"
status=0
for t in "$PACK"/bin/test_cuda_* "$PACK"/bin/test_device_*; do
  [[ -e $t ]] || continue
  name=$(basename "$t")
  echo "== $name"
  "$t" >"$out/$name.log" 2>&1 || status=1
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
  [[ -e $b ]] || continue
  name=$(basename "$b")
  echo "== $name"
  "$b" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/$name.json" --benchmark_out_format=json >"$out/$name.log" 2>&1 || status=1
  grep -E "median|ERROR" "$out/$name.log" | head -40
done
# The plain PyTorch layer of the same shapes (perf/torch_moe_layer.py), on the
# machine's own Python and libraries.
if [[ -e "$PACK/bin/bench_cuda_moe_layer" ]]; then
  echo "== torch_moe_layer"
  env -u LD_LIBRARY_PATH PYTHONUNBUFFERED=1 python3 perf/torch_moe_layer.py "$out/torch_moe_layer.csv" \
    >"$out/torch_moe_layer.log" 2>&1 || status=1
  cat "$out/torch_moe_layer.log"
fi
tar -C "$work" -czf "${OUT:-/tmp}/gpu_check.tgz" .
exit $status
