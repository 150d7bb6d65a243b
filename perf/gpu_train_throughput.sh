#!/usr/bin/env bash
# gpu_train_throughput.sh [OUT.csv] [REPEATS]: `paramoe train`'s throughput on one
# GPU, fp32 against bf16 (device.precision) measured in one invocation, for
# GPT-2-small-MoE (inputs/models/gpt2-small-moe.toml: 12 blocks, d_model 768, 12
# heads, every second FFN an MoE layer of 16 experts, top-2, vocabulary 50257,
# sequences of 1024) at mp = ep = esp = 1, on random GPT-2 token ids.
#
# Each run is STEPS steps (default 30); its value is the median over the steps
# after the first 10 (warm-up: allocations, cuBLAS heuristics), and a point's value
# the median over REPEATS runs (default 3). vs_fp32 is tokens/s against fp32's from
# the same invocation.
#
# model_tflops counts the GEMMs of the step: 6 flops per token per weight a token
# meets (the top-k routed experts, not all of them; the router; the tied LM head)
# and attention's QKᵀ and PV, 4·seq·d_model per token per block forward (the whole
# square: the causal mask skips no work) and twice that backward.
#
# Env: PARAMOE (default build/app/paramoe), LAUNCH (default "mpirun --oversubscribe
# -np 1"), DEVICE (default cuda), PRECISIONS (default "fp32 bf16"), STEPS, and the
# shape: D HEADS DFFN DH EXPERTS TOPK SEQ VOCAB LAYERS MOE_EVERY TOKENS (tokens per
# step, default 16384: 16 sequences in one micro-batch). DEVICE=cpu PRECISIONS=fp32
# with a small shape checks the script itself where there is no GPU.
set -euo pipefail
out=${1:-perf/results/gpu_train_throughput.csv}
repeats=${2:-3}
bin=${PARAMOE:-build/app/paramoe}
read -r -a launch <<<"${LAUNCH:-mpirun --oversubscribe -np 1}"
device=${DEVICE:-cuda}
steps=${STEPS:-30}
D=${D:-768} HEADS=${HEADS:-12} DFFN=${DFFN:-3072} DH=${DH:-3072} EXPERTS=${EXPERTS:-16}
TOPK=${TOPK:-2} SEQ=${SEQ:-1024} VOCAB=${VOCAB:-50257} LAYERS=${LAYERS:-12}
MOE_EVERY=${MOE_EVERY:-2} TOKENS=${TOKENS:-16384}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Random token ids in an llm.c .bin shard (256 int32 header: magic, version, count;
# then uint16 tokens): enough for every step of a run without repeating.
env -u LD_LIBRARY_PATH python3 - "$work/tokens.bin" "$VOCAB" $((TOKENS * (steps + 1) + SEQ)) <<'PY'
import array, random, sys
path, vocab, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
header = array.array("i", [20240520, 1, n] + [0] * 253)
rng = random.Random(1)
body = array.array("H", (rng.randrange(vocab) for _ in range(n)))
with open(path, "wb") as f:
    header.tofile(f)
    body.tofile(f)
PY

if [[ $device == cuda ]]; then
  name=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
else
  name="cpu: $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
fi
# GEMM flops per token of one step (forward and backward).
flops_per_token=$(awk -v D="$D" -v F="$DFFN" -v H="$DH" -v E="$EXPERTS" -v k="$TOPK" -v S="$SEQ" \
  -v V="$VOCAB" -v L="$LAYERS" -v every="$MOE_EVERY" 'BEGIN {
    moe = int(L / every); dense = L - moe
    w = L * 4 * D * D + dense * 2 * D * F + moe * (k * 2 * D * H + D * E) + D * V
    printf "%.0f", 6 * w + 12 * S * D * L }')

# The shape, as the model column names it.
model="gpt L$LAYERS D$D heads$HEADS S$SEQ V$VOCAB; moe every $MOE_EVERY E$EXPERTS top$TOPK H$DH"
echo "device,model,precision,tokens_per_step,step_ms,tokens_per_s,model_tflops,vs_fp32,runs" >"$out"
base=""
for precision in ${PRECISIONS:-fp32 bf16}; do
  for r in $(seq "$repeats"); do
    "${launch[@]}" "$bin" train inputs/models/gpt2-small-moe.toml \
      --set parallel.mp=1 --set parallel.ep=1 --set parallel.esp=1 \
      --set device.type="$device" --set device.precision="$precision" \
      --set model.vocab_size="$VOCAB" --set model.seq_len="$SEQ" --set model.heads="$HEADS" \
      --set model.d_ffn="$DFFN" --set model.moe_every="$MOE_EVERY" --set moe.d_model="$D" \
      --set moe.d_hidden="$DH" --set moe.num_experts="$EXPERTS" --set moe.top_k="$TOPK" \
      --set train.layers="$LAYERS" --set train.tokens_per_step="$TOKENS" \
      --set train.micro_batches=1 --set train.steps="$steps" --set train.val_every=0 \
      --set train.log_every="$steps" --set "data.train=\"$work/tokens.bin\"" \
      --set "data.val=\"$work/tokens.bin\"" --set 'checkpoint.dir=""' \
      --set "train.metrics_jsonl=\"$work/$precision-$r.jsonl\"" </dev/null >"$work/$precision-$r.log" 2>&1 ||
      { cat "$work/$precision-$r.log"; exit 1; }
  done
  line=$(env -u LD_LIBRARY_PATH python3 - "$work" "$precision" "$repeats" "$flops_per_token" <<'PY'
import json, statistics, sys
work, precision, reps, fpt = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
tok, ms = [], []
for r in range(1, reps + 1):
    rows = [json.loads(l) for l in open(f"{work}/{precision}-{r}.jsonl")][10:]
    tok.append(statistics.median(x["tokens_per_s"] for x in rows))
    ms.append(statistics.median(x["step_ms"] for x in rows))
t = statistics.median(tok)
print(f"{statistics.median(ms):.2f},{t:.0f},{t * fpt / 1e12:.2f}")
PY
)
  tps=$(cut -d, -f2 <<<"$line")
  [[ -z $base ]] && base=$tps
  vs=$(awk -v a="$tps" -v b="$base" 'BEGIN { printf "%.2f", a / b }')
  echo "$name,$model,$precision,$TOKENS,$line,$vs,$repeats" | tee -a "$out"
done
