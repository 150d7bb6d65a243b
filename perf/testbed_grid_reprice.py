#!/usr/bin/env python3
"""Re-prices a measured testbed grid (perf/testbed_grid.sh) with the calibration's
executor fit undone: the links at the ping-pongs' rates and compute at the kernels'
measured rates, both as `paramoe calibrate` measured them before its fit over small
s1 and data-centric layers rescaled them (the factors are in the file's comment).
Prints and writes, per profile and fit (as calibrated / undone), the predictor's
error |predicted - measured| / measured over every (point, option) pair: median,
90th percentile, signed median, and the signed median per option.

usage: perf/testbed_grid_reprice.py GRID.csv OUT.csv PROFILE CLUSTER.toml [PROFILE CLUSTER.toml ...]
Run from the repository root after a build (it calls build/app/paramoe plan --grid).
"""
import csv
import os
import re
import statistics
import subprocess
import sys
import tempfile
from collections import defaultdict

GRID = "inputs/grids/parm-testbed.toml"


def undo_fit(text):
    m = re.search(r"compute times x ([0-9.e+-]+) on the kernels' rates, transfer times x "
                  r"([0-9.e+-]+) on the ping-pongs'", text)
    if not m:
        sys.exit("testbed_grid_reprice: no fit factors in the cluster file's comment")
    compute, transfer = float(m.group(1)), float(m.group(2))

    def scale(key, by):
        nonlocal text
        text = re.sub(rf"^({key} = )([0-9.e+-]+)$", lambda v: f"{v.group(1)}{float(v.group(2)) * by!r}",
                      text, flags=re.M)

    scale("bandwidth_GBps", transfer)  # the fit divided the ping-pongs' rates by it
    for key in ("gemm_TFLOPs", "memory_GBps", "activation_Gps"):
        scale(key, compute)
    return text


def errors(measured, cluster_text):
    with tempfile.TemporaryDirectory() as d:
        toml, out = os.path.join(d, "c.toml"), os.path.join(d, "p.csv")
        open(toml, "w").write(cluster_text)
        subprocess.run(["build/app/paramoe", "plan", "--grid", GRID, "--cluster", toml, "--csv", out],
                       check=True, capture_output=True)
        per = defaultdict(list)
        for r in csv.DictReader(open(out)):
            k = (r["point"], r["schedule"], r["chunks"])
            if k in measured:
                e = (float(r["predicted_ms"]) - measured[k]) / measured[k]
                per["all"].append(e)
                per[r["schedule"] + (f" r={r['chunks']}" if r["schedule"] == "s2" else "")].append(e)
        return per


def main(src, dst, pairs):
    rows = []
    for profile, toml in zip(pairs[::2], pairs[1::2]):
        measured = {(r["point"], r["schedule"], r["chunks"]): float(r["measured_ms"])
                    for r in csv.DictReader(open(src))
                    if r["profile"] == profile and r["schedule"] != "auto"}
        text = open(toml).read()
        for fit, cluster in (("as calibrated", text), ("undone", undo_fit(text))):
            per = errors(measured, cluster)
            a = sorted(abs(e) for e in per["all"])
            row = {"profile": profile, "fit": fit, "pairs": len(a),
                   "error_median_pct": f"{100 * statistics.median(a):.1f}",
                   "error_p90_pct": f"{100 * a[min(len(a) - 1, int(0.9 * len(a)))]:.1f}",
                   "signed_median_pct": f"{100 * statistics.median(per['all']):.1f}"}
            for opt in ("replicated", "s1", "s2 r=2", "s2 r=4"):
                row[f"signed_{opt.replace(' ', '_').replace('=', '')}_pct"] = \
                    f"{100 * statistics.median(per[opt]):.1f}"
            rows.append(row)
            print(row)
    with open(dst, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    if len(sys.argv) < 5 or len(sys.argv) % 2 == 0:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
