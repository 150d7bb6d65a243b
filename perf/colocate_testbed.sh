#!/usr/bin/env bash
# perf/colocate_testbed.sh OUT_PREFIX [ROUNDS=2]: two models colocated on the same
# ranks against the two run back to back, on the time-dilated testbed (PipeMoE's
# 2080Ti profile, 2 nodes x 2 ranks, ep 4; root needed), where the all-to-all
# crosses links shaped to the real cluster's ratio to compute (on the emulated
# cluster's 1 Gbit/s links, perf/colocate_emulated.sh, serving had little to hide).
# bench infer --colocate, the inference model of that script (hot-expert routing,
# 32 sequences of 32 prompt tokens, 16 generated), native and ordered all-to-all,
# back to back and colocated taking turns, at two sizes of its FFNs:
#   a2a-bound  d_ffn 2048, expert d_hidden 1024 (that script's);
#   balanced   d_ffn 8192, expert d_hidden 4096: 4x the compute per token for the
#              same all-to-all bytes;
#   heavier    d_ffn 16384, expert d_hidden 8192: 8x.
# CONFIGS (default "a2a-bound balanced") chooses among them.
# Appends bench infer's columns plus config, dilation, round to OUT_PREFIX.csv;
# OUT_PREFIX.toml is the calibration inside the testbed; the summary is below.
set -euo pipefail
out=${1:?usage: perf/colocate_testbed.sh OUT_PREFIX [ROUNDS]}
rounds=${2:-2}
# shellcheck disable=SC1091
source "$(dirname "$0")/testbed_up.sh"
gpt=$here/inputs/models/gpt2-moe-tiny.toml
model=(--set parallel.mp=1 --set parallel.ep=4 --set parallel.esp=1 --set bench.routing=hot:0.5
  --set moe.d_model=512 --set model.heads=8 --set train.layers=2 --set model.moe_every=1)
declare -A sizes=([a2a-bound]="--set model.d_ffn=2048 --set moe.d_hidden=1024"
  [balanced]="--set model.d_ffn=8192 --set moe.d_hidden=4096"
  [heavier]="--set model.d_ffn=16384 --set moe.d_hidden=8192")
[[ ${SUMMARY_ONLY:-0} == 1 ]] && rounds=0  # rewrite the summary from OUT_PREFIX.csv alone
((rounds == 0)) || testbed_up pipemoe-2080ti "$out.toml"
for round in $(seq "$rounds"); do
  for config in ${CONFIGS:-a2a-bound balanced}; do
    rm -f "$work/run.csv"
    echo "== round $round $config"
    # shellcheck disable=SC2086  # the sizes are --set options, as words
    "$cluster" run "$NP" "$PARAMOE" bench infer "$gpt" "${model[@]}" ${sizes[$config]} \
      --colocate "$gpt" --a2a native,ordered --batch 32 --prompt 32 --tokens 16 --requests 1 \
      --repeats 2 --csv "$work/run.csv" | tail -5
    append_rows "$work/run.csv" "$out.csv" config,dilation,round "$config,$DILATION,$round"
  done
done
# Per configuration, method and mode: medians over rounds of tokens/s, the decode
# p50, the prefill and busy, and colocated's speed-up over the same method back to
# back (taken inside each run) -> OUT_PREFIX_summary.csv.
/usr/bin/python3 - "$out.csv" "${out}_summary.csv" <<'PY'
import csv, statistics, sys
from collections import defaultdict
runs = defaultdict(dict)
for r in csv.DictReader(open(sys.argv[1])):
    runs[(r["config"], r["round"])][(r["a2a"], r["mode"])] = r
g = defaultdict(lambda: defaultdict(list))
for (config, _), by in runs.items():
    for (a2a, mode), r in by.items():
        k = g[(config, a2a, mode)]
        for col in ("tokens_per_s", "step_p50_s", "prefill_s", "busy_mean"):
            k[col].append(float(r[col]))
        k["vs_back_to_back"].append(float(r["tokens_per_s"]) /
                                    float(by[(a2a, "back-to-back")]["tokens_per_s"]))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["config", "a2a", "mode", "rounds", "tokens_per_s", "decode_p50_ms", "prefill_ms",
                "busy_mean", "vs_back_to_back", "vs_back_to_back_min", "vs_back_to_back_max"])
    for (config, a2a, mode), v in sorted(g.items()):
        m = {c: statistics.median(x) for c, x in v.items()}
        # bench infer's CSV holds seconds (its table prints ms)
        w.writerow([config, a2a, mode, len(v["tokens_per_s"]), f"{m['tokens_per_s']:.1f}",
                    f"{m['step_p50_s'] * 1e3:.1f}", f"{m['prefill_s'] * 1e3:.0f}",
                    f"{m['busy_mean']:.3f}",
                    f"{m['vs_back_to_back']:.2f}", f"{min(v['vs_back_to_back']):.2f}",
                    f"{max(v['vs_back_to_back']):.2f}"])
PY
