#!/usr/bin/python3
"""Plots perf/a2a_sweep.sh's CSV: makespan / lower bound T* against ranks, one
panel per (traffic, links), one line per method. Needs python3-matplotlib."""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

src, out = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(src)))
panels = [(t, b) for b in ("25", "100/80/50/40") for t in ("uniform", "zipf", "hot")]
fig, axes = plt.subplots(2, 3, figsize=(13, 7), sharex=True)
for ax, (traffic, bw) in zip(axes.flat, panels):
    lines = defaultdict(list)
    for r in rows:
        if r["traffic"] == traffic and r["bandwidth_classes_gbps"] == bw:
            lines[r["method"]].append((int(r["ranks"]), float(r["mean_ratio_to_bound"])))
    for method, pts in sorted(lines.items()):
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=method)
    ax.set_xscale("log", base=2)
    ax.axhline(1.0, color="black", lw=0.8)
    links = "equal links" if bw == "25" else "links " + bw + " GB/s"
    ax.set_title(f"{traffic}, {links}")
    ax.set_ylabel("makespan / T*")
    ax.set_xlabel("ranks")
axes.flat[0].legend(fontsize=8)
fig.suptitle("All-to-all orders under the big-switch model (mean of 5 matrices)")
fig.tight_layout()
fig.savefig(out, dpi=110)
