#!/usr/bin/env bash
# shared_experts_overlap.sh [OUT.csv] [ROUNDS]: what a shared expert costs when it
# computes during the dispatch all-to-all. On the emulated two-node cluster
# (jobs/emulated, 1 Gbit/s, 2 x 2 ranks), the compute-light layer of
# inputs/bench/shared-experts-light.toml runs with moe.shared_experts = 0 and 1,
# the two taking turns for ROUNDS rounds (`bench layer`, 10 repeats each, median).
# The shared FFN's own time (forward + backward, slowest rank) comes from the same
# runs; the cost is (t1 - t0) / shared time. The last round's N = 1 run also writes
# per-rank Chrome traces to perf/results/shared_experts_trace/. Root needed.
set -euo pipefail
out=${1:-perf/results/shared_experts_overlap.csv} rounds=${2:-5}
bin=${PARAMOE_BIN:-build/app/paramoe}
cfg=inputs/bench/shared-experts-light.toml
traces=perf/results/shared_experts_trace
rm -f "$out"
rm -rf "$traces"
jobs/emulated/cluster.sh up 2 1gbit
trap 'jobs/emulated/cluster.sh down' EXIT
for round in $(seq "$rounds"); do
  for n in 0 1; do
    extra=()
    [[ $round == "$rounds" && $n == 1 ]] && extra=(--trace "$traces")
    echo "round $round: shared_experts = $n"
    jobs/emulated/cluster.sh run 4 "$bin" bench layer "$cfg" --set moe.shared_experts="$n" \
      --csv "$out" "${extra[@]}" </dev/null | tail -2
  done
done
# Per round: the step time without and with the shared expert, the shared FFN's own
# time, what it added, and that as a fraction of its own time.
/usr/bin/python3 - "$out" "${out%.csv}_summary.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["pair", "without_ms", "with_ms", "predicted_without_ms", "predicted_with_ms",
                "shared_ffn_ms", "added_ms", "added_of_shared_ffn"])
    for i in range(0, len(rows) - 1, 2):
        a, b = rows[i], rows[i + 1]
        t0, t1, own = float(a["median_ms"]), float(b["median_ms"]), float(b["shared_ffn_ms"])
        w.writerow([i // 2 + 1, f"{t0:.3f}", f"{t1:.3f}", f"{float(a['predicted_ms']):.3f}",
                    f"{float(b['predicted_ms']):.3f}", f"{own:.3f}", f"{t1 - t0:.3f}",
                    f"{(t1 - t0) / own:.4f}"])
PY
