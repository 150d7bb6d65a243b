#!/usr/bin/env python3
"""Plots and statistics of a `paramoe bench grid` CSV.

usage: perf/plot_grid.py GRID.csv OUT_PREFIX [PROFILE]

With PROFILE, only the rows whose `profile` column is PROFILE (perf/testbed_grid.sh
appends several testbed profiles to one CSV).

Writes OUT_PREFIX_speedup.png (the distribution over the grid of the speedup of s1,
s2 and auto over replicated, where the layout has replicated, measured beside
predicted),
OUT_PREFIX_predicted.png (predicted against measured time) and OUT_PREFIX_summary.csv
(the figures below, one row per option), and prints:
  - with several runs appended to GRID.csv (perf/grid_small.sh), everything below is
    on the median over runs of each measured and predicted time, auto's included
    (each run's auto row holds the time of the option that run's calibration picked);
  - the predictor's error |predicted - measured| / measured: median and 90th percentile;
  - how often auto is within 5% of the best measured schedule of its point;
  - the median speedups.
"""
import csv
import statistics
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def label(r):
    return r["schedule"] + (f" r={r['chunks']}" if r["schedule"] == "s2" else "")


def merge_runs(raw):
    """One row per (point, schedule, chunks): the median over runs of the measured and
    the predicted time (each run has its own calibration)."""
    groups = defaultdict(list)
    for r in raw:
        groups[(r["point"], r["schedule"], r["chunks"])].append(r)
    rows = []
    for g in groups.values():
        r = dict(g[0])
        for k in ("measured_ms", "predicted_ms"):
            r[k] = str(statistics.median(float(x[k]) for x in g))
        r["runs"] = len(g)
        rows.append(r)
    return rows


def main(path, prefix, profile=None):
    raw = [r for r in csv.DictReader(open(path)) if profile is None or r.get("profile") == profile]
    if not raw:
        sys.exit(f"plot_grid.py: no rows in {path}" + (f" for profile {profile}" if profile else ""))
    rows = merge_runs(raw)
    runs = max(r["runs"] for r in rows)
    print(f"{len({r['point'] for r in rows})} points, {runs} run(s): medians over runs")
    points = defaultdict(list)
    for r in rows:
        points[r["point"]].append(r)

    speedups = defaultdict(list)  # schedule label -> [replicated / it], measured
    predicted = defaultdict(list)  # the same, predicted
    errors, auto_ok, auto_n = [], 0, 0
    for pts in points.values():
        by = {label(r): float(r["measured_ms"]) for r in pts}
        best = min(v for k, v in by.items() if k != "auto")
        if "auto" in by:
            auto_n += 1
            auto_ok += by["auto"] <= 1.05 * best
        for r in pts:
            if r["schedule"] != "auto" and float(r["predicted_ms"]) > 0:
                m, p = float(r["measured_ms"]), float(r["predicted_ms"])
                errors.append(abs(p - m) / m)
        if "replicated" in by:
            for k, v in by.items():
                if k != "replicated":
                    speedups[k].append(by["replicated"] / v)
            priced = {label(r): float(r["predicted_ms"]) for r in pts}
            if priced["replicated"] > 0:
                for k, v in priced.items():
                    if k != "replicated":
                        predicted[k].append(priced["replicated"] / v)

    if errors:
        errors.sort()
        p90 = errors[min(len(errors) - 1, int(0.9 * len(errors)))]
        print(f"predictor error over {len(errors)} (point, schedule) pairs: "
              f"median {statistics.median(errors):.1%}, 90th percentile {p90:.1%}")
    if auto_n:
        print(f"auto within 5% of the best measured schedule at {auto_ok}/{auto_n} points "
              f"({auto_ok / auto_n:.0%})")
    summary = []
    for k in sorted(speedups):
        m, p = speedups[k], predicted[k]
        summary.append({
            "option": k, "points": len(m),
            "measured_median": f"{statistics.median(m):.3f}", "measured_min": f"{min(m):.3f}",
            "measured_max": f"{max(m):.3f}",
            "predicted_median": f"{statistics.median(p):.3f}" if p else "",
            "predicted_min": f"{min(p):.3f}" if p else "", "predicted_max": f"{max(p):.3f}" if p else "",
            "error_median_pct": f"{100 * statistics.median(errors):.1f}" if errors else "",
            "error_p90_pct": f"{100 * p90:.1f}" if errors else "",
            "auto_within_5pct": f"{auto_ok}/{auto_n}" if auto_n else ""})
        print(f"speedup of {k} over replicated: median {statistics.median(speedups[k]):.3f} "
              f"(min {min(speedups[k]):.3f}, max {max(speedups[k]):.3f}, {len(speedups[k])} points)"
              + (f"; predicted median {statistics.median(predicted[k]):.3f} "
                 f"(min {min(predicted[k]):.3f}, max {max(predicted[k]):.3f})" if predicted[k] else ""))

    if summary:
        with open(prefix + "_summary.csv", "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(summary[0].keys()))
            w.writeheader()
            w.writerows(summary)
    if speedups:
        keys = sorted(speedups)
        fig, ax = plt.subplots(figsize=(7, 4))
        both = all(predicted[k] for k in keys)
        step = 3 if both else 1
        at = [1 + step * i for i in range(len(keys))]
        box = ax.boxplot([speedups[k] for k in keys], positions=at, patch_artist=True)
        for b in box["boxes"]:
            b.set_facecolor("tab:blue")
        if both:
            box2 = ax.boxplot([predicted[k] for k in keys], positions=[a + 1 for a in at],
                              patch_artist=True)
            for b in box2["boxes"]:
                b.set_facecolor("tab:orange")
            ax.legend([box["boxes"][0], box2["boxes"][0]], ["measured", "predicted"])
        ax.set_xticks([a + (0.5 if both else 0) for a in at], keys)
        ax.axhline(1.0, color="grey", lw=0.8)
        ax.set_ylabel("speedup over replicated")
        ax.set_title(f"{rows[0]['grid']}{' on ' + profile if profile else ''}: "
                     f"{len(speedups[keys[0]])} points with esp = mp")
        fig.tight_layout()
        fig.savefig(prefix + "_speedup.png", dpi=120)
    pred = [(float(r["measured_ms"]), float(r["predicted_ms"]), r["schedule"]) for r in rows
            if r["schedule"] != "auto" and float(r["predicted_ms"]) > 0]
    if pred:
        fig, ax = plt.subplots(figsize=(5, 5))
        for s in sorted({p[2] for p in pred}):
            xs = [p[0] for p in pred if p[2] == s]
            ys = [p[1] for p in pred if p[2] == s]
            ax.scatter(xs, ys, s=12, label=s)
        hi = max(max(p[0], p[1]) for p in pred)
        lo = min(min(p[0], p[1]) for p in pred)
        ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("measured fwd+bwd ms")
        ax.set_ylabel("predicted fwd+bwd ms")
        ax.legend()
        fig.tight_layout()
        fig.savefig(prefix + "_predicted.png", dpi=120)


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(*sys.argv[1:])
