#!/usr/bin/env bash
# model_throughput.sh [OUT.csv] [REPEATS]: tokens/s and the share of the step spent
# in MoE layers for the tiny GPT-MoE and BERT-MoE models at np 1, 2 and 4, each
# point run REPEATS times (default 3). A run is 60 steps; its value is the median
# over steps 11-60 (warm), and the point's value the median over runs. speedup is
# tokens/s against np 1 of the same model, from the same invocation.
# Run from the repository root after ./setup.sh and a build.
set -euo pipefail
out=${1:-perf/results/model_throughput.csv}
repeats=${2:-3}
bin=build/app/paramoe
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
echo "model,np,mp,ep,esp,tokens_per_step,tokens_per_s,moe_share,step_ms,speedup_vs_np1,runs" > "$out"
for model in gpt2-moe-tiny bert-moe-tiny; do
  base=""
  for layout in "1 1 1 1" "2 1 2 1" "4 2 2 2"; do
    read -r np mp ep esp <<<"$layout"
    for r in $(seq "$repeats"); do
      mpirun --oversubscribe -np "$np" "$bin" train "inputs/models/$model.toml" \
        --set parallel.mp="$mp" --set parallel.ep="$ep" --set parallel.esp="$esp" \
        --set train.steps=60 --set train.val_every=0 --set train.log_every=60 \
        --set train.metrics_jsonl="$work/$model-$np-$r.jsonl" </dev/null >/dev/null
    done
    line=$(/usr/bin/python3 - "$work" "$model" "$np" "$repeats" <<'PY'
import json, statistics, sys
work, model, np_, reps = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
tok, share, ms = [], [], []
for r in range(1, reps + 1):
    rows = [json.loads(l) for l in open(f"{work}/{model}-{np_}-{r}.jsonl")][10:]
    tok.append(statistics.median(x["tokens_per_s"] for x in rows))
    share.append(statistics.median(x["moe_share"] for x in rows))
    ms.append(statistics.median(x["step_ms"] for x in rows))
print(f"{statistics.median(tok):.0f},{statistics.median(share):.3f},{statistics.median(ms):.2f}")
PY
)
    tps=${line%%,*}
    [[ -z "$base" ]] && base=$tps
    speed=$(awk -v a="$tps" -v b="$base" 'BEGIN{printf "%.2f", a/b}')
    tpstep=$(grep -E "^tokens_per_step" "inputs/models/$model.toml" | awk '{print $3}')
    echo "$model,$np,$mp,$ep,$esp,$tpstep,$line,$speed,$repeats" | tee -a "$out"
  done
done
