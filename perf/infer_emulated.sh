#!/usr/bin/env bash
# perf/infer_emulated.sh OUT.csv [ROUNDS=3]: MoE inference on the emulated cluster
# (jobs/emulated), native against pairwise and ordered (greedy) all-to-all, with
# hot-expert routing: 4 nodes × 1 rank (every EP byte crosses a shaped link), on
# equal links (1000 Mbit/s each) and on Aurora's unequal link classes scaled
# (1000/800/500/400 Mbit/s). A GPT-MoE of d_model 512 with an MoE FFN in both
# blocks (initial weights; bench.routing picks the experts), 32 sequences per
# data-parallel shard, 32-token prompts, 16 generated tokens. Each round is one
# `bench infer` run with the methods taking turns; the cluster is brought up and
# down here. Needs root.
set -euo pipefail
out=${1:?usage: perf/infer_emulated.sh OUT.csv [ROUNDS]}
rounds=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
cluster=$here/jobs/emulated/cluster.sh
model=(--set parallel.mp=1 --set parallel.ep=4 --set parallel.esp=1 --set bench.routing=hot:0.5
  --set moe.d_model=512 --set moe.d_hidden=1024 --set model.d_ffn=2048 --set model.heads=8
  --set train.layers=2 --set model.moe_every=1)
trap '"$cluster" down >/dev/null 2>&1 || true' EXIT
for round in $(seq "$rounds"); do
  for links in 1000mbit 1000mbit,800mbit,500mbit,400mbit; do
    "$cluster" up 4 "$links" >/dev/null
    echo "round $round, links $links"
    "$cluster" run 4 "$here/build/app/paramoe" bench infer "$here/inputs/models/gpt2-moe-tiny.toml" \
      "${model[@]}" --batch 32 --prompt 32 --tokens 16 --requests 2 --repeats 3 \
      --csv "$out.$links.csv" | tail -4
  done
done
