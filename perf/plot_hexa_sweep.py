#!/usr/bin/env python3
"""Model-centric against data-centric execution over a `paramoe bench grid` CSV of
inputs/grids/hexa-sweep-small.toml (perf/hexa_sweep.sh), possibly holding several runs.

usage: perf/plot_hexa_sweep.py SWEEP.csv OUT_PREFIX

Per grid point it takes the median over runs of the measured s1, dc and auto
times (auto's: the option each run's calibration picked) and of the predicted times,
and writes:
  - OUT_PREFIX_summary.csv: one row per point (medians, the measured faster mode,
    auto's pick and whether auto is within 5% of the faster mode);
  - OUT_PREFIX.png: per layout, the (tokens, expert parameters) plane coloured by
    the faster mode with auto's pick marked, and the dc/s1 time ratio against the
    ratio of token traffic to weight traffic, measured and predicted.
It prints how often auto is within 5% of the faster mode and the predictor's error.
"""
import csv
import statistics
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(path, prefix):
    runs = defaultdict(lambda: defaultdict(list))  # point -> schedule -> [(measured, predicted)]
    picks = defaultdict(list)  # point -> auto's pick in each run
    meta = {}
    for r in csv.DictReader(open(path)):
        runs[int(r["point"])][r["schedule"]].append((float(r["measured_ms"]), float(r["predicted_ms"])))
        meta[int(r["point"])] = r
        if r["schedule"] == "auto":
            picks[int(r["point"])].append(r["auto_pick"])
    rows = []
    for p in sorted(runs):
        m = meta[p]
        med = {s: statistics.median(v[0] for v in runs[p][s]) for s in runs[p]}
        # Each run may have its own calibration: the median prediction.
        pred = {s: statistics.median(v[1] for v in runs[p][s]) for s in runs[p]}
        T, D, H, E, k = (int(m[x]) for x in ("batch", "d_model", "d_hidden", "experts", "top_k"))
        T *= int(m["seq_len"])
        faster = "dc" if med["dc"] < med["s1"] else "s1"
        # auto's time: the median over runs of the option each run picked.
        pick = max(set(picks[p]), key=picks[p].count)
        best = min(med["dc"], med["s1"])
        rows.append(dict(point=p, layout=f"mp{m['mp']} ep{m['ep']} esp{m['esp']}", tokens=T,
                         d_model=D, d_hidden=H, experts=E, top_k=k,
                         expert_params=E * (2 * D * H + H + D),
                         s1_ms=med["s1"], dc_ms=med["dc"], auto_ms=med["auto"],
                         s1_pred_ms=pred["s1"], dc_pred_ms=pred["dc"], faster=faster,
                         auto_pick=pick, auto_picks="/".join(picks[p]),
                         auto_within_5pct=med["auto"] <= 1.05 * best,
                         runs=len(runs[p]["s1"])))
    with open(prefix + "_summary.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in r.items()})

    ok = sum(r["auto_within_5pct"] for r in rows)
    print(f"auto within 5% of the faster mode: {ok}/{len(rows)} points ({100 * ok / len(rows):.1f}%)")
    print(f"dc faster at {sum(r['faster'] == 'dc' for r in rows)} points; auto picks dc at "
          f"{sum(r['auto_pick'] == 'dc' for r in rows)}")
    for s in ("s1", "dc"):
        e = sorted(abs(r[f"{s}_pred_ms"] - r[f"{s}_ms"]) / r[f"{s}_ms"] for r in rows)
        print(f"predictor error {s}: median {100 * statistics.median(e):.1f}%, "
              f"90th percentile {100 * e[int(0.9 * (len(e) - 1))]:.1f}%")

    layouts = sorted({r["layout"] for r in rows})
    fig, axes = plt.subplots(1, len(layouts) + 1, figsize=(5.2 * (len(layouts) + 1), 4.4))
    colour = {"s1": "tab:blue", "dc": "tab:orange"}
    for ax, lay in zip(axes, layouts):
        pts = [r for r in rows if r["layout"] == lay]
        for r in pts:
            ax.scatter(r["tokens"], r["expert_params"], s=260, c=colour[r["faster"]], alpha=0.55)
            ax.scatter(r["tokens"], r["expert_params"], s=45, marker="^" if r["auto_pick"] == "dc" else "o",
                       facecolors="none", edgecolors="red" if not r["auto_within_5pct"] else "black")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log", base=2)
        ax.set_xlabel("tokens per data-parallel shard")
        ax.set_ylabel("expert parameters per layer")
        ax.set_title(f"{lay}: faster mode (fill), auto's pick (mark)", fontsize=9)
    handles = [plt.Line2D([], [], ls="", marker="o", ms=12, alpha=0.55, color=colour["s1"], label="s1 faster"),
               plt.Line2D([], [], ls="", marker="o", ms=12, alpha=0.55, color=colour["dc"], label="dc faster"),
               plt.Line2D([], [], ls="", marker="o", mfc="none", mec="black", label="auto: s1"),
               plt.Line2D([], [], ls="", marker="^", mfc="none", mec="black", label="auto: dc"),
               plt.Line2D([], [], ls="", marker="o", mfc="none", mec="red", label="auto > 5% slower")]
    axes[0].legend(handles=handles, fontsize=7, loc="upper left")
    ax = axes[-1]
    for lay, mk in zip(layouts, "os"):
        pts = [r for r in rows if r["layout"] == lay]
        x = [r["tokens"] * r["top_k"] * r["d_model"] / r["expert_params"] for r in pts]
        ax.scatter(x, [r["dc_ms"] / r["s1_ms"] for r in pts], marker=mk, label=f"{lay} measured")
        ax.scatter(x, [r["dc_pred_ms"] / r["s1_pred_ms"] for r in pts], marker=mk, facecolors="none",
                   edgecolors="gray", label=f"{lay} predicted")
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("routed token floats / expert parameters  (T·k·D / P)")
    ax.set_ylabel("dc time / s1 time")
    ax.set_title("data-centric wins below 1", fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(prefix + ".png", dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
