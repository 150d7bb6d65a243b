#!/usr/bin/env python3
"""Summarises perf/testbed_lane_balanced.sh's CSV: per testbed size, configuration
and option (replicated, s1, s2 at each r), the median over runs of the step time,
the speed-ups over s1 and over replicated measured inside each run (the options
take turns there; s2 at r = 8 runs beside s1 only), the predicted time and
speed-up over s1, and s1's and the option's lane busy times and overlap.

usage: perf/testbed_lane_balanced_summary.py IN.csv OUT.csv
"""
import csv
import statistics
import sys
from collections import defaultdict


def option(r):
    return r["schedule"] + (f" r={r['chunks']}" if r["schedule"] == "s2" else "")


def main(src, dst):
    # The rows come run by run, each run's s2 row last.
    runs = defaultdict(dict)  # (ranks, config, run) -> option -> row
    run = 0
    for r in csv.DictReader(open(src)):
        runs[(int(r["ranks"]), r["config"], run)][option(r)] = r
        run += r["schedule"] == "s2"
    groups = defaultdict(lambda: defaultdict(list))  # (ranks, config, option) -> column -> values
    for (ranks, config, _), by in runs.items():
        s1 = by["s1"]
        for name, r in by.items():
            g = groups[(ranks, config, name)]
            ms = float(r["median_ms"])
            g["ms"].append(ms)
            g["predicted_ms"].append(float(r["predicted_ms"]))
            g["vs_s1"].append(float(s1["median_ms"]) / ms)
            g["predicted_vs_s1"].append(float(s1["predicted_ms"]) / float(r["predicted_ms"]))
            if "replicated" in by:
                g["vs_replicated"].append(float(by["replicated"]["median_ms"]) / ms)
                g["predicted_vs_replicated"].append(
                    float(by["replicated"]["predicted_ms"]) / float(r["predicted_ms"]))
            g["intra_ms"].append(float(r["intra_busy_ms"]))
            g["inter_ms"].append(float(r["inter_busy_ms"]))
            g["overlap_pct"].append(100 * float(r["lane_overlap_pct"]))
            g["layout"] = [f"{r['mp']}/{r['ep']}/{r['esp']}"]
            g["shape"] = [f"T{r['tokens']} D{r['d_model']} H{r['d_hidden']} k{r['top_k']}"]

    def med(g, k, fmt):
        return fmt.format(statistics.median(g[k])) if g.get(k) else ""

    with open(dst, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["ranks", "config", "layout_mp_ep_esp", "shape", "option", "runs", "median_ms",
                    "predicted_ms", "vs_s1", "predicted_vs_s1", "vs_replicated",
                    "predicted_vs_replicated", "intra_busy_ms", "inter_busy_ms",
                    "lane_overlap_pct"])
        order = {"replicated": 0, "s1": 1}
        for (ranks, config, name), g in sorted(groups.items(),
                                               key=lambda kv: (kv[0][0], kv[0][1],
                                                               order.get(kv[0][2], 2), kv[0][2])):
            w.writerow([ranks, config, g["layout"][0], g["shape"][0], name, len(g["ms"]),
                        med(g, "ms", "{:.1f}"), med(g, "predicted_ms", "{:.1f}"),
                        med(g, "vs_s1", "{:.2f}"), med(g, "predicted_vs_s1", "{:.2f}"),
                        med(g, "vs_replicated", "{:.2f}"),
                        med(g, "predicted_vs_replicated", "{:.2f}"), med(g, "intra_ms", "{:.1f}"),
                        med(g, "inter_ms", "{:.1f}"), med(g, "overlap_pct", "{:.1f}")])


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
