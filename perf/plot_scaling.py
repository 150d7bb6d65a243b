#!/usr/bin/env python3
"""Weak- and strong-scaling plots of a jobs/scaling/run.sh CSV.

usage: perf/plot_scaling.py SCALING.csv OUT_PREFIX

Writes OUT_PREFIX_weak.png (forward+backward time against ranks; flat is perfect
weak scaling) and OUT_PREFIX_strong.png (speedup over the fewest ranks' s1 time
against ranks), one line per schedule. Measured lines are solid and, where the
CSV carries predictions (run.sh with a cluster file), the predicted ones dashed.
A CSV from the time-dilated testbed (perf/testbed_scaling.sh) has a `dilation`
column: each node count runs at its own factor (more ranks share the 2 cores), so
every time is divided by its row's factor, i.e. plotted in the real cluster's ms,
and OUT_PREFIX_summary.csv lists those times beside the testbed's.
"""
import csv
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def series(rows, study):
    s = defaultdict(list)  # schedule -> [(ranks, measured, predicted)]
    for r in rows:
        if r["study"] == study:
            label = r["schedule"] + (f" r={r['chunks']}" if r["schedule"] == "s2" else "")
            s[label].append((int(r["world"]), float(r["median_ms"]), float(r["predicted_ms"])))
    return {k: sorted(v) for k, v in s.items()}


def plot(rows, study, prefix, ylabel, transform):
    s = series(rows, study)
    if not s:
        return False
    base = min((p for v in s.values() for p in v), key=lambda p: (p[0], p[1]))
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, (label, pts) in enumerate(sorted(s.items())):
        color = f"C{i}"
        xs = [p[0] for p in pts]
        ax.plot(xs, [transform(p[1], base[1]) for p in pts], "o-", color=color, label=label)
        if any(p[2] > 0 for p in pts):
            ax.plot(xs, [transform(p[2], base[2] or base[1]) for p in pts], "x--", color=color,
                    label=label + " (predicted)")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("ranks")
    ax.set_ylabel(ylabel)
    ax.set_title(f"{study} scaling")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(f"{prefix}_{study}.png", dpi=120)
    return True


def main(path, prefix):
    rows = list(csv.DictReader(open(path)))
    unit = "fwd+bwd ms"
    if rows and "dilation" in rows[0]:
        summary = []
        for r in rows:
            d, m, p = float(r["dilation"]), float(r["median_ms"]), float(r["predicted_ms"])
            summary.append({"study": r["study"], "nodes": r["nodes"], "ranks": r["world"],
                            "schedule": r["schedule"], "tokens": r["tokens"],
                            "dilation": f"{d:.1f}", "testbed_ms": f"{m:.1f}",
                            "real_ms": f"{m / d:.3f}", "predicted_real_ms": f"{p / d:.3f}",
                            "predicted_error_pct": f"{100 * (p / m - 1):.1f}"})
            r["median_ms"], r["predicted_ms"] = str(m / d), str(p / d)
        with open(prefix + "_summary.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(summary[0].keys()))
            w.writeheader()
            w.writerows(summary)
        unit = "fwd+bwd ms on the real cluster (testbed ms / dilation)"
    made = plot(rows, "weak", prefix, unit, lambda t, b: t)
    made |= plot(rows, "strong", prefix, "speedup over the fewest ranks", lambda t, b: b / t)
    if not made:
        sys.exit("plot_scaling: no weak or strong rows in " + path)
    print("plot_scaling: wrote", prefix + "_weak.png / _strong.png")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
