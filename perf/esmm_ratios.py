#!/usr/bin/env python3
"""Turns one bench_esmm JSON run into a CSV of ESMM rates against the dense sgemm
baseline of the same run (medians of the repetitions).

usage: perf/esmm_ratios.py RUN.json OUT.csv
"""
import json
import sys

from ratio_csv import write_rows


def main(src, dst):
    runs = json.load(open(src))
    med = {}
    for b in runs["benchmarks"]:
        if b.get("aggregate_name") == "median":
            med[b["run_name"]] = b["GFLOPs"]
    rows = []
    for name, gflops in med.items():
        if not name.startswith("BM_Esmm"):
            continue
        direction = "forward" if "Forward" in name else "backward"
        dense = med["BM_Dense" + direction.capitalize() + "/real_time"]
        parts = dict(p.split(":") for p in name.split("/")[1:] if ":" in p)
        rows.append({"op": direction, "experts": parts["E"],
                     "routing": "zipf" if parts["zipf"] == "1" else "uniform",
                     "rows": 4096, "d_model": 1024, "d_hidden": 4096,
                     "esmm_gflops": f"{gflops:.2f}", "dense_gflops": f"{dense:.2f}",
                     "ratio": f"{gflops / dense:.3f}"})
    write_rows(dst, rows)
    for r in rows:
        print(f"{r['op']:8s} E={r['experts']:>2s} {r['routing']:7s} "
              f"{r['esmm_gflops']:>7s} GFLOP/s vs dense {r['dense_gflops']:>7s}: {r['ratio']}x")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
