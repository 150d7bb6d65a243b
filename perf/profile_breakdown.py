#!/usr/bin/env python3
"""Groups a `perf report --sort dso,symbol --stdio -q -g none` listing (one or more
ranks' reports concatenated) into the MoE layer's parts, as CSV on stdout:
layer,part,percent,top_symbols. Percentages are of all samples of all ranks.

usage: perf/profile_breakdown.py REPORT.txt LAYER
"""
import collections
import re
import sys

# (part, test on (dso, symbol)), first match wins.
PARTS = [
    ("GEMM (OpenBLAS sgemm: kernel and packing)", lambda d, s: "openblas" in d),
    ("activation (GELU/SwiGLU, erf, exp)",
     lambda d, s: re.search(r"gelu|swiglu|silu|erff|expf|__exp", s) is not None),
    ("bias sums (ess)", lambda d, s: "cpu::ess" in s or "bias" in s),
    ("permute/unpermute/combine (row gathers and scatters)",
     lambda d, s: re.search(r"gather_rows|scatter_rows|scatter_add_rows|combine_rows", s)
     is not None),
    ("router (softmax, top-k, losses)",
     lambda d, s: re.search(r"softmax|topk|router", s) is not None),
    ("dispatch plan", lambda d, s: "dispatch_plan" in s),
    ("MPI (all-to-all, gathers, progress)",
     lambda d, s: re.search(r"libmpi|mca_|libopen-pal|libopen-rte|libucx|libuc", d) is not None),
    ("copies and fills (memcpy/memmove/memset)",
     lambda d, s: re.search(r"memmove|memcpy|memset", s) is not None),
    ("kernel (page faults, scheduling, copies to MPI)", lambda d, s: "kernel" in d),
    ("benchmark set-up (inputs, init, loading)",
     lambda d, s: re.search(r"param_init|normal01|uniform01|cmd_bench|__cos|__sin|log_fma|"
                            r"ld-linux|do_lookup|_dl_", s + " " + d) is not None),
]
LINE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.+?)\s+-\s+-\s*$")


def main():
    report, layer = sys.argv[1], sys.argv[2]
    totals = collections.Counter()
    symbols = collections.defaultdict(collections.Counter)
    ranks = 0
    for line in open(report):
        if line.lstrip().startswith("#"):
            continue
        m = LINE.match(line)
        if not m:
            continue
        pct, dso, sym = float(m.group(1)), m.group(2), m.group(3).strip()
        part = next((p for p, test in PARTS if test(dso, sym)), "other")
        totals[part] += pct
        symbols[part][sym] += pct
    # Each rank's report sums to about 100%.
    whole = sum(totals.values())
    print("layer,part,percent,top_symbols")
    for part, _ in PARTS + [("other", None)]:
        share = 100.0 * totals[part] / whole if whole else 0.0
        top = " ".join(s.replace(",", ";") for s, _ in symbols[part].most_common(3))
        print(f"{layer},\"{part}\",{share:.2f},\"{top}\"")


if __name__ == "__main__":
    main()
