#!/usr/bin/env bash
# balance_compare.sh [OUT.csv] [STEPS]: expert load under each moe.balance on the
# synthetic MoE stack (inputs/moe-tiny.toml, np 4, mp = ep = esp = 2), where without
# balancing the busiest expert carries about 1.8x the mean. Per variant: the worst
# MoE layer's max/mean load at the last step and its mean over the last quarter of
# the steps, and the loss (mean of the last 10 steps). Deterministic (no timing), so
# one run each. Run from the repository root after building.
set -euo pipefail
out=${1:-perf/results/balance.csv} steps=${2:-200}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
echo "balance,bias_rate,steps,last_worst_max_mean,tail_worst_max_mean,final_loss" > "$out"
for variant in none:0.001 aux:0.001 bias:0.001 bias:0.01; do
  balance=${variant%:*} rate=${variant#*:}
  mpirun --oversubscribe -np 4 "${PARAMOE_BIN:-build/app/paramoe}" train inputs/moe-tiny.toml \
    --set train.steps="$steps" --set train.log_every=1 --set moe.balance="$balance" \
    --set moe.bias_rate="$rate" --set train.metrics_jsonl="$work/m.jsonl" </dev/null >/dev/null
  /usr/bin/python3 - "$work/m.jsonl" "$balance" "$rate" "$steps" >> "$out" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
worst = [max(l["max_mean"] for l in r["expert_load"]) for r in rows]
tail = worst[-max(1, len(worst) // 4):]
loss = statistics.mean(r["loss"] for r in rows[-10:])
print(f"{sys.argv[2]},{sys.argv[3]},{sys.argv[4]},{worst[-1]:.4f},{statistics.mean(tail):.4f},{loss:.6f}")
PY
done
cat "$out"
