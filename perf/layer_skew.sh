#!/usr/bin/env bash
# layer_skew.sh [OUT.csv] [ROUNDS]: what one hot expert costs the MoE layer on CPU
# (issue 29's layers A and B: 2 ranks, mp = 1, ep = 2, E = 4, top-2, GELU,
# dropless). A: 2048 tokens per rank, D 512, H 2048; B: 4096 tokens per rank,
# D 1024, H 4096. bench.routing "uniform" and "hot:0.5" (expert 0 takes half of
# the assignments: the same useful FLOPs, on one rank) take turns for ROUNDS rounds.
# The summary holds each round's hot / uniform ratio. Run from the repository root.
set -euo pipefail
out=${1:-perf/results/layer_skew.csv} rounds=${2:-3}
bin=${PARAMOE_BIN:-build/app/paramoe}
rm -f "$out"
source "$(dirname "$0")/layers_ab.sh"
for round in $(seq "$rounds"); do
  for layer in A B; do
    layer_shape "$layer"
    for routing in uniform hot:0.5; do
      echo "round $round: layer $layer, $routing"
      mpirun --oversubscribe -np 2 "$bin" bench layer inputs/bench/layer-cpu.toml "${common[@]}" \
        "${shape[@]}" --set bench.routing="$routing" --csv "$out" </dev/null | grep -E "shares| s1 "
    done
  done
done
/usr/bin/python3 - "$out" "${out%.csv}_summary.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["pair", "layer", "uniform_ms", "hot_ms", "hot_max_share", "hot_over_uniform"])
    for i in range(0, len(rows) - 1, 2):
        u, h = rows[i], rows[i + 1]
        layer = "A" if u["d_model"] == "512" else "B"
        w.writerow([i // 2 + 1, layer, u["median_ms"], h["median_ms"], h["max_share"],
                    f"{float(h['median_ms']) / float(u['median_ms']):.4f}"])
PY
