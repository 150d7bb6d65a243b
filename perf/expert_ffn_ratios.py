#!/usr/bin/env python3
"""Turns one bench_expert_ffn JSON run into a CSV: per shape, the expert FFN's
forward+backward rate in row blocks and as whole experts, the dense sgemm rate of
the same run (the peak), and their ratios (medians of the repetitions).

usage: perf/expert_ffn_ratios.py RUN.json OUT.csv
"""
import json
import sys

from ratio_csv import write_rows


def main(src, dst):
    runs = json.load(open(src))
    med, block = {}, {}
    for b in runs["benchmarks"]:
        if b.get("aggregate_name") != "median":
            continue
        bench, *args = b["run_name"].split("/")
        shape = tuple(a.split(":")[1] for a in args if ":" in a)
        med[(bench, shape)] = b["GFLOPs"]
        if bench == "BM_ExpertFfnBlocks":
            block[shape] = int(b["block_rows"])
    rows = []
    for shape in block:
        blocks, whole = med[("BM_ExpertFfnBlocks", shape)], med[("BM_ExpertFfnWhole", shape)]
        dense = med[("BM_DenseGemm", shape)]
        e, r, d, h = shape
        rows.append({"experts": e, "rows_per_expert": r, "d_model": d, "d_hidden": h,
                     "block_rows": block[shape], "blocks_gflops": f"{blocks:.2f}",
                     "whole_gflops": f"{whole:.2f}", "dense_gflops": f"{dense:.2f}",
                     "blocks_over_whole": f"{blocks / whole:.3f}",
                     "blocks_over_dense": f"{blocks / dense:.3f}"})
    write_rows(dst, rows)
    for r in rows:
        print(f"E={r['experts']} rows={r['rows_per_expert']} D={r['d_model']} H={r['d_hidden']}: "
              f"blocks {r['blocks_gflops']} whole {r['whole_gflops']} dense {r['dense_gflops']} "
              f"GFLOP/s -> blocks/whole {r['blocks_over_whole']}, blocks/dense "
              f"{r['blocks_over_dense']}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
