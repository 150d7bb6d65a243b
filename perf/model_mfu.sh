#!/usr/bin/env bash
# model_mfu.sh [OUT.csv] [STEPS]: training efficiency of inputs/models/gpt2-moe-cpu.toml
# on this machine at np 2 (ep 2) and np 4 (ep 4). Per world size: `paramoe
# calibrate` on the same ranks gives the sgemm rate every rank sustains at once
# (gemm_TFLOPs, the slope of a GEMM-time fit over expert-sized shapes); then STEPS
# training steps, whose median tokens/s over steps 11..STEPS times the model's
# FLOPs per token is the model FLOP/s. FLOPs per token follow the standard count
# (PaLM's 6·N + 12·L·T·d): 6 × the parameters a token uses (attention, dense
# FFNs, the top-k experts it is routed to, the router, the LM head; not the
# embedding lookup) + 12 · layers · seq_len · d_model for attention's scores and
# values. MFU = model FLOP/s / (ranks × sgemm rate). Run from the repository root.
set -euo pipefail
out=${1:-perf/results/model_mfu.csv} steps=${2:-40}
bin=${PARAMOE_BIN:-build/app/paramoe}
cfg=inputs/models/gpt2-moe-cpu.toml
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
echo "ranks,ep,steps,tokens_per_s,flops_per_token,model_gflops,sgemm_gflops_per_rank,mfu" >"$out"
for np in 2 4; do
  mpirun --oversubscribe -np "$np" "$bin" calibrate --out "$work/cal.toml" </dev/null >/dev/null
  rate=$(awk -F'[= ]+' '/^gemm_TFLOPs/ {print $2}' "$work/cal.toml")
  mpirun --oversubscribe -np "$np" "$bin" train "$cfg" --set parallel.ep="$np" \
    --set train.steps="$steps" --set train.val_every=0 --set train.log_every=1 \
    --set train.metrics_jsonl="$work/m.jsonl" </dev/null >/dev/null
  /usr/bin/python3 - "$cfg" "$work/m.jsonl" "$np" "$steps" "$rate" >>"$out" <<'PY'
import json, statistics, sys, tomllib
cfg = tomllib.load(open(sys.argv[1], "rb"))
rows = [json.loads(l) for l in open(sys.argv[2])][10:]
np_, steps, rate = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
m, moe, t = cfg["model"], cfg["moe"], cfg["train"]
d, L, T, V = moe["d_model"], t["layers"], m["seq_len"], m["vocab_size"]
moe_layers = L // m["moe_every"]
mats = 3 if moe["activation"] == "swiglu" else 2
params = (L * 4 * d * d + (L - moe_layers) * 2 * d * m["d_ffn"]
          + moe_layers * (moe["top_k"] * mats * d * moe["d_hidden"] + d * moe["num_experts"])
          + V * d)
flops = 6 * params + 12 * L * T * d
tps = statistics.median(r["tokens_per_s"] for r in rows if "tokens_per_s" in r)
model = tps * flops / 1e9
peak = rate * 1e3  # GFLOP/s per rank
print(f"{np_},{np_},{steps},{tps:.1f},{flops},{model:.2f},{peak:.2f},{model / (np_ * peak):.4f}")
PY
  tail -1 "$out"
done
