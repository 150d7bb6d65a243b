#!/usr/bin/env python3
"""Groups `perf report --sort dso,symbol --stdio -q -g none -n` listings into the
MoE layer's parts, as CSV on stdout: layer,part,percent,samples,top_symbols.

Differential: LONG is the report of a run with more timed passes than SHORT's
(same set-up, same warm-up), each the ranks' reports concatenated. Per symbol the
SHORT samples are taken from the LONG ones, which leaves the extra steady-state
passes alone: set-up and the warm-up's first touches of every buffer (tens of
thousands of page faults, none in later passes) drop out. Percentages are of
those remaining samples.

usage: perf/profile_breakdown.py LONG.txt SHORT.txt LAYER
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
LINE = re.compile(r"^\s*([\d.]+)%\s+(\d+)\s+(\S+)\s+\[[.k]\]\s+(.+?)\s+-\s+-\s*$")


def samples(report):
    """(dso, symbol) -> samples, over the report's lines."""
    counts = collections.Counter()
    for line in open(report):
        m = LINE.match(line)
        if m:
            counts[(m.group(3), m.group(4).strip())] += int(m.group(2))
    return counts


def main():
    long_counts, short_counts = samples(sys.argv[1]), samples(sys.argv[2])
    layer = sys.argv[3]
    totals = collections.Counter()
    symbols = collections.defaultdict(collections.Counter)
    for (dso, sym), n in long_counts.items():
        extra = n - short_counts.get((dso, sym), 0)
        if extra <= 0:
            continue
        part = next((p for p, test in PARTS if test(dso, sym)), "other")
        totals[part] += extra
        symbols[part][sym] += extra
    whole = sum(totals.values())
    print("layer,part,percent,samples,top_symbols")
    for part, _ in PARTS + [("other", None)]:
        share = 100.0 * totals[part] / whole if whole else 0.0
        top = " ".join(s.replace(",", ";") for s, _ in symbols[part].most_common(3))
        print(f"{layer},\"{part}\",{share:.2f},{totals[part]},\"{top}\"")


if __name__ == "__main__":
    main()
