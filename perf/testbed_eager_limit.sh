#!/usr/bin/env bash
# perf/testbed_eager_limit.sh OUT_PREFIX PROFILE [ROUNDS=3]: Open MPI's TCP eager
# limit on the time-dilated per-rank testbed (2 nodes x 2 ranks; root needed):
# bench layer on inputs/bench/layer-cpu.toml (mp = esp = ep = 2, 512 tokens),
# replicated, s1 and s2 (r = 4), with Open MPI's 64 KiB eager limit ("default",
# EMU_EAGER_LIMIT=0) and with 1 MiB ("eager", cluster.sh's default since) taking
# turns in each round. Appends bench layer's columns plus profile, dilation,
# variant, round to OUT_PREFIX.csv; OUT_PREFIX.toml is the calibration inside the
# testbed that the predictor prices with.
set -euo pipefail
out=${1:?usage: perf/testbed_eager_limit.sh OUT_PREFIX PROFILE [ROUNDS]}
profile=${2:?profile, e.g. pipemoe-2080ti}
rounds=${3:-3}
# shellcheck disable=SC1091
source "$(dirname "$0")/testbed_up.sh"
testbed_up "$profile" "$out.toml"
for round in $(seq "$rounds"); do
  for variant in default:0 eager:1048576; do
    name=${variant%%:*} limit=${variant#*:}
    rm -f "$work/run.csv"
    echo "== round $round $name"
    EMU_EAGER_LIMIT=$limit "$cluster" run 4 "$PARAMOE" bench layer \
      "$here/inputs/bench/layer-cpu.toml" --set bench.tokens_per_step=512 --set moe.chunks=4 \
      --set plan.cluster="$out.toml" --schedules replicated,s1,s2 --repeats 15 \
      --csv "$work/run.csv" | grep -E '^  (schedule|replicated|s1|s2) '
    append_rows "$work/run.csv" "$out.csv" profile,dilation,variant,round "$profile,$DILATION,$name,$round"
  done
done
