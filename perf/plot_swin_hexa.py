#!/usr/bin/env python3
"""Plots perf/swin_hexa_table.sh's CSV as HEXA-MoE's comparison: per point (model,
images, experts), the speed-up of the dropless modes (model-centric, data-centric,
auto) over the capacity-padded baseline, and their memory saving against it (the
resident set grown during training, and the whole peak resident set).

Usage: /usr/bin/python3 perf/plot_swin_hexa.py perf/results/swin_hexa_table.csv OUT
(writes OUT.png and OUT_summary.csv).
"""
import csv
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

src, out = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(src)))
points = []
for r in rows:
    key = (r["model"], int(r["images"]), int(r["experts"]))
    if key not in points:
        points.append(key)
by = {(r["model"], int(r["images"]), int(r["experts"]), r["variant"]): r for r in rows}
modes = ["mc", "dc", "auto"]
summary = []
for p in points:
    base = by[p + ("padded",)]
    for m in modes:
        r = by[p + (m,)]
        summary.append(dict(
            model=p[0], images=p[1], experts=p[2], variant=m,
            speedup_vs_padded=float(base["step_ms"]) / float(r["step_ms"]),
            grown_saving_vs_padded=1 - float(r["grown_in_training_mib"]) / float(base["grown_in_training_mib"]),
            peak_saving_vs_padded=1 - float(r["peak_rss_mib"]) / float(base["peak_rss_mib"]),
            padding_max_mean=float(base["max_mean_load"])))
with open(out + "_summary.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(summary[0].keys()))
    w.writeheader()
    for s in summary:
        w.writerow({k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in s.items()})

fig, ax = plt.subplots(1, 2, figsize=(13, 4.5))
labels = [f"{m}\n{i} img\nE{e}" for m, i, e in points]
x = range(len(points))
width = 0.27
for j, m in enumerate(modes):
    sp = [next(s["speedup_vs_padded"] for s in summary if (s["model"], s["images"], s["experts"]) == p and s["variant"] == m) for p in points]
    mem = [next(s["grown_saving_vs_padded"] for s in summary if (s["model"], s["images"], s["experts"]) == p and s["variant"] == m) for p in points]
    ax[0].bar([i + (j - 1) * width for i in x], sp, width, label=m)
    ax[1].bar([i + (j - 1) * width for i in x], [100 * v for v in mem], width, label=m)
ax[0].axhline(1.0, color="k", lw=0.8)
ax[0].axhspan(0.5, 4.3, color="tab:green", alpha=0.08, label="HEXA-MoE: 0.5-4.3x")
ax[0].set_ylabel("step speed-up over capacity-padded (x)")
ax[1].axhspan(10, 48, color="tab:green", alpha=0.08, label="HEXA-MoE: 10-48% less")
ax[1].set_ylabel("memory grown in training, saved vs padded (%)")
for a in ax:
    a.set_xticks(list(x))
    a.set_xticklabels(labels, fontsize=7)
    a.legend(fontsize=8)
fig.suptitle("Swin-MoE on 2 CPU ranks (ep = 2): dropless modes against the capacity-padded baseline")
fig.tight_layout()
fig.savefig(out + ".png", dpi=110)
for m in modes:
    sp = [s["speedup_vs_padded"] for s in summary if s["variant"] == m]
    mem = [s["grown_saving_vs_padded"] for s in summary if s["variant"] == m]
    print(f"{m}: speed-up {min(sp):.2f}-{max(sp):.2f}x (median {statistics.median(sp):.2f}), "
          f"memory grown saved {100 * min(mem):.0f}-{100 * max(mem):.0f}% "
          f"(median {100 * statistics.median(mem):.0f}%)")
