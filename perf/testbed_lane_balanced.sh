#!/usr/bin/env bash
# perf/testbed_lane_balanced.sh OUT_PREFIX [ROUNDS=2]: s2 against s1 (and both
# against replicated) on PipeMoE's 2080Ti profile, where PCIe and InfiniBand are
# within 3.6x of each other, at configurations the predictor calls lane-balanced
# (s1's intra- and inter-node lane times within 2x of each other):
#   2 nodes x 2 ranks, mp = esp = ep = 2, D 128, H 512, top-4, 1024 tokens;
#   2 nodes x 4 ranks, mp = esp = 4, ep = 2: the same, and layer-cpu.toml's D 256,
#   H 1024, top-2 at 512 tokens.
# bench layer with replicated, s1, s2 (r = 4) and s2 (r = 8) taking turns (two
# runs per configuration and round: r is a layer setting), 11 repeats. Appends
# bench layer's columns plus profile, ranks, dilation, config, round to
# OUT_PREFIX.csv; OUT_PREFIX_2x<n>.toml are the calibrations inside each testbed.
set -euo pipefail
out=${1:?usage: perf/testbed_lane_balanced.sh OUT_PREFIX [ROUNDS]}
rounds=${2:-2}
profile=pipemoe-2080ti
# shellcheck disable=SC1091
source "$(dirname "$0")/testbed_up.sh"
small=(--set moe.d_model=128 --set moe.d_hidden=512 --set moe.top_k=4
  --set bench.tokens_per_step=1024)
measure() {  # measure LABEL ROUND OVERRIDES...
  local label=$1 round=$2
  shift 2
  for chunks in 4 8; do
    local schedules=replicated,s1,s2
    ((chunks == 8)) && schedules=s1,s2
    rm -f "$work/run.csv"
    echo "== $label round $round r $chunks"
    "$cluster" run "$NP" "$PARAMOE" bench layer "$here/inputs/bench/layer-cpu.toml" "$@" \
      --set moe.chunks="$chunks" --set plan.cluster="$toml" --schedules "$schedules" \
      --repeats 11 --csv "$work/run.csv" | grep -E '^  (schedule|replicated|s1|s2) '
    append_rows "$work/run.csv" "$out.csv" profile,ranks,dilation,config,round "$profile,$NP,$DILATION,$label,$round"
  done
}
for ranks in 4 8; do
  toml=${out}_2x$((ranks / 2)).toml
  testbed_up "$profile" "$toml" "$ranks"
  for round in $(seq "$rounds"); do
    if ((ranks == 4)); then
      measure d128-top4 "$round" "${small[@]}"
    else
      layout=(--set parallel.mp=4 --set parallel.esp=4 --set parallel.ep=2)
      measure d128-top4 "$round" "${layout[@]}" "${small[@]}"
      measure d256-top2 "$round" "${layout[@]}" --set bench.tokens_per_step=512
    fi
  done
  "$cluster" down
done
