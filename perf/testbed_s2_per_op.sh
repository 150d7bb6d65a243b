#!/usr/bin/env bash
# perf/testbed_s2_per_op.sh OUT_PREFIX: where s1's and s2's time goes on the
# time-dilated testbed against the predictor's price, step by step: PipeMoE's 2080Ti
# profile, 2 nodes x 2 ranks, the lane-balanced d128-top4 layer of
# perf/testbed_lane_balanced.sh, s1 and s2 (r = 4) taking turns, `bench layer
# --trace` with the calibration taken inside (OUT_PREFIX.toml). Writes bench
# layer's per-op table (rank 0's last repeat, both passes: measured ms against
# predicted ms) to OUT_PREFIX.txt and the merged Chrome trace to OUT_PREFIX_trace.json.
set -euo pipefail
out=${1:?usage: perf/testbed_s2_per_op.sh OUT_PREFIX}
# shellcheck disable=SC1091
source "$(dirname "$0")/testbed_up.sh"
testbed_up pipemoe-2080ti "$out.toml"
"$cluster" run "$NP" "$PARAMOE" bench layer "$here/inputs/bench/layer-cpu.toml" \
  --set moe.d_model=128 --set moe.d_hidden=512 --set moe.top_k=4 \
  --set bench.tokens_per_step=1024 --set moe.chunks=4 --set plan.cluster="$out.toml" \
  --schedules s1,s2 --repeats 11 --trace "$work/trace" |
  sed -n '/^  schedule/,$p' | grep -v 'Warning: setpgid' >"$out.txt"
/usr/bin/python3 "$here/perf/trace_merge.py" "${out}_trace.json" "$work/trace" >/dev/null
cat "$out.txt"
