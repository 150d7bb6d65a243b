# Sourced by the perf scripts of issue 29's CPU layers: 2 ranks, mp = 1, ep = 2,
# E = 4, top-2, GELU, dropless, schedule s1, on inputs/bench/layer-cpu.toml.
#   A: 2048 tokens per rank, D 512, H 2048;  B: 4096 tokens per rank, D 1024, H 4096.
# `common` holds the options both share; `layer_shape A|B` sets `shape` to the
# layer's own, with `bench.repeats` (A_REPEATS, B_REPEATS; defaults 3 and 2).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
common=(--set parallel.mp=1 --set parallel.ep=2 --set parallel.esp=1 --set moe.num_experts=4
  --set moe.top_k=2 --set moe.activation=gelu --set moe.capacity_factor=0.0
  --set 'bench.schedules=["s1"]' --set bench.warmup=1)
layer_shape() {
  if [[ $1 == A ]]; then
    shape=(--set moe.d_model=512 --set moe.d_hidden=2048 --set bench.tokens_per_step=4096
      --set bench.repeats="${A_REPEATS:-3}")
  else
    shape=(--set moe.d_model=1024 --set moe.d_hidden=4096 --set bench.tokens_per_step=8192
      --set bench.repeats="${B_REPEATS:-2}")
  fi
}
# bench_ab LAYER ROUTING OUT.csv [ARGS...]: one `bench layer` run of LAYER under
# bench.routing ROUTING (the binary $bin), appended to OUT.csv; prints the shares
# and the schedules' rows.
bench_ab() {
  local layer=$1 routing=$2 out=$3
  shift 3
  layer_shape "$layer"
  mpirun --oversubscribe -np 2 "$bin" bench layer inputs/bench/layer-cpu.toml "${common[@]}" \
    "${shape[@]}" --set bench.routing="$routing" --csv "$out" "$@" </dev/null | grep -E "shares| s1"
}
