#!/usr/bin/env bash
# layer_shadow.sh [OUT.csv] [ROUNDS]: hot-expert shadowing on issue 29's layers A
# and B (perf/layers_ab.sh: 2 ranks, mp = 1, ep = 2, E = 4, top-2, GELU, dropless,
# s1). Each round runs, per layer, bench.routing "uniform" then "hot:0.5" (expert 0
# takes half of the assignments: the same useful FLOPs), each as one bench run in
# which `s1` and `s1+shadow` (moe.shadow = "auto") take turns. The choice prices
# with a cluster file that `paramoe calibrate` measures on the same 2 ranks first
# (OUT's directory/layer_shadow_cluster.toml). The summary holds, per round and
# layer, hot / uniform without and with shadowing, and the predictor's figures.
# Run from the repository root.
set -euo pipefail
out=${1:-perf/results/layer_shadow.csv} rounds=${2:-3}
bin=${PARAMOE_BIN:-build/app/paramoe}
cluster=$(dirname "$out")/layer_shadow_cluster.toml
rm -f "$out"
source "$(dirname "$0")/layers_ab.sh"
mpirun --oversubscribe -np 2 "$bin" calibrate --out "$cluster" --repeats 5 \
  --name "this machine, 2 ranks on one node" </dev/null | tail -3
for round in $(seq "$rounds"); do
  for layer in A B; do
    for routing in uniform hot:0.5; do
      echo "round $round: layer $layer, $routing"
      bench_ab "$layer" "$routing" "$out" --set plan.cluster="$cluster" --schedules s1,s1+shadow
    done
  done
done
/usr/bin/python3 - "$out" "${out%.csv}_summary.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
# Each round and layer: uniform s1, uniform s1+shadow, hot s1, hot s1+shadow.
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["pair", "layer", "uniform_ms", "uniform_shadow_ms", "uniform_shadowed",
                "hot_ms", "hot_shadow_ms", "hot_shadowed", "hot_over_uniform",
                "hot_shadow_over_uniform", "shadow_speedup_hot", "predicted_hot_over_uniform",
                "predicted_hot_shadow_over_uniform"])
    for i in range(0, len(rows) - 3, 4):
        u, us, h, hs = rows[i:i + 4]
        assert u["routing"] == "uniform" and h["routing"] == "hot:0.5", (u, h)
        layer = "A" if u["d_model"] == "512" else "B"
        ms = lambda r: float(r["median_ms"])
        pr = lambda r: float(r["predicted_ms"])
        w.writerow([i // 4 + 1, layer, u["median_ms"], us["median_ms"], us["shadowed"],
                    h["median_ms"], hs["median_ms"], hs["shadowed"],
                    f"{ms(h) / ms(u):.4f}", f"{ms(hs) / ms(u):.4f}", f"{ms(h) / ms(hs):.4f}",
                    f"{pr(h) / pr(u):.4f}", f"{pr(hs) / pr(u):.4f}"])
PY
