#!/usr/bin/env bash
# perf/colocate_emulated.sh OUT_PREFIX [ROUNDS=3]: two models colocated on the
# same ranks against the two run back to back, on the emulated cluster
# (jobs/emulated, 4 nodes × 1 rank at 1000 Mbit/s; root needed):
#   OUT_PREFIX_infer.csv  bench infer --colocate: the inference model of
#                         perf/infer_emulated.sh twice (hot-expert routing), native and
#                         ordered all-to-all, back to back and colocated taking turns;
#   OUT_PREFIX_train.csv  gpt2-moe-tiny trained 30 steps as A (seed 1234) and B
#                         (seed 99): A alone, B alone, then both with --colocate, in
#                         turn; each run's wall time (launch and start-up included)
#                         and its training loop's (Σ step_ms of its metrics CSV; the
#                         larger of A's and B's when colocated). INFER=0 skips the
#                         inference part.
set -euo pipefail
out=${1:?usage: perf/colocate_emulated.sh OUT_PREFIX [ROUNDS]}
rounds=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
cluster=$here/jobs/emulated/cluster.sh
bin=$here/build/app/paramoe
gpt=$here/inputs/models/gpt2-moe-tiny.toml
model=(--set parallel.mp=1 --set parallel.ep=4 --set parallel.esp=1 --set bench.routing=hot:0.5
  --set moe.d_model=512 --set moe.d_hidden=1024 --set model.d_ffn=2048 --set model.heads=8
  --set train.layers=2 --set model.moe_every=1)
train=(--set parallel.mp=1 --set parallel.ep=4 --set parallel.esp=1 --set train.steps=30
  --set train.val_every=0 --set train.log_every=10 --set data.train=$here/tests/inputs/corpus_small.txt)
trap '"$cluster" down >/dev/null 2>&1 || true' EXIT
"$cluster" up 4 1000mbit >/dev/null
[[ -f ${out}_train.csv ]] || echo "round,run,wall_s,loop_s" > "${out}_train.csv"
loop_s() {  # the largest Σ step_ms over the metrics CSVs given, in seconds
  for f in "$@"; do awk -F, 'NR > 1 { s += $6 } END { print s / 1e3 }' "$f"; done | sort -g | tail -1
}
work=$(mktemp -d)
for round in $(seq "$rounds"); do
  [[ ${INFER:-1} == 0 ]] || "$cluster" run 4 "$bin" bench infer "$gpt" "${model[@]}" --colocate "$gpt" --a2a native,ordered \
    --batch 32 --prompt 32 --tokens 16 --requests 1 --repeats 2 --csv "${out}_infer.csv" | tail -5
  echo "round $round"

  for run in a_alone b_alone colocated; do
    rm -f "$work"/*.csv
    case $run in
      a_alone) args=(--set train.metrics_csv=$work/a.csv) ;;
      b_alone) args=(--set train.seed=99 --set train.metrics_csv=$work/b.csv) ;;
      colocated) args=(--set train.metrics_csv=$work/a.csv --colocate "$gpt" --set-b train.seed=99
        --set-b train.metrics_csv=$work/b.csv) ;;
    esac
    t0=$(date +%s.%N)
    "$cluster" run 4 "$bin" train "$gpt" "${train[@]}" "${args[@]}" > /dev/null
    echo "$round,$run,$(echo "$(date +%s.%N) - $t0" | bc),$(loop_s "$work"/*.csv)" >> "${out}_train.csv"
  done
  tail -3 "${out}_train.csv"
done
