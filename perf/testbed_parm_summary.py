#!/usr/bin/env python3
"""Summarises perf/testbed_parm.sh's CSV: per profile and run variant (yield,
progress) and schedule, the median over rounds of each run's median step time, its
speed-up over `replicated` and over `s1` measured in the same run (the schedules
take turns inside a run), the predictor's time and its error, and the lanes' busy
times and overlap.

usage: perf/testbed_parm_summary.py IN.csv OUT.csv
"""
import csv
import statistics
import sys
from collections import defaultdict


def main(src, dst):
    rows = list(csv.DictReader(open(src)))
    runs = defaultdict(dict)  # (profile, yield, progress, round) -> schedule -> row
    for r in rows:
        runs[(r["profile"], r["yield"], r["progress"], r["round"])][r["schedule"]] = r
    groups = defaultdict(lambda: defaultdict(list))
    for (profile, yld, progress, _), by_schedule in runs.items():
        for schedule, r in by_schedule.items():
            g = groups[(profile, yld, progress, schedule)]
            ms = float(r["median_ms"])
            g["median_ms"].append(ms)
            g["predicted_ms"].append(float(r["predicted_ms"]))
            g["vs_replicated"].append(float(by_schedule["replicated"]["median_ms"]) / ms)
            g["vs_s1"].append(float(by_schedule["s1"]["median_ms"]) / ms)
            g["intra_busy_ms"].append(float(r["intra_busy_ms"]))
            g["inter_busy_ms"].append(float(r["inter_busy_ms"]))
            g["lane_overlap_pct"].append(100 * float(r["lane_overlap_pct"]))
            g["dilation"].append(float(r["dilation"]))
    with open(dst, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["profile", "yield", "progress", "schedule", "rounds", "dilation", "median_ms",
                    "predicted_ms", "predicted_error_pct", "speedup_vs_replicated",
                    "speedup_vs_s1", "intra_busy_ms", "inter_busy_ms", "lane_overlap_pct"])
        for (profile, yld, progress, schedule), g in sorted(groups.items()):
            med = {k: statistics.median(v) for k, v in g.items()}
            w.writerow([profile, yld, progress, schedule, len(g["median_ms"]),
                        f"{med['dilation']:.1f}", f"{med['median_ms']:.1f}",
                        f"{med['predicted_ms']:.1f}",
                        f"{100 * (med['predicted_ms'] / med['median_ms'] - 1):.1f}",
                        f"{med['vs_replicated']:.2f}", f"{med['vs_s1']:.2f}",
                        f"{med['intra_busy_ms']:.1f}", f"{med['inter_busy_ms']:.1f}",
                        f"{med['lane_overlap_pct']:.1f}"])


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
