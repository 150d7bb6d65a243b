#!/usr/bin/env python3
"""Joins the per-rank Chrome traces of `paramoe bench layer --trace DIR` into one
timeline that Perfetto (ui.perfetto.dev) or chrome://tracing opens: one process per
rank, one thread per lane (local compute, intra-node, inter-node).

usage: perf/trace_merge.py OUT.json DIR_OR_FILES...
       perf/trace_merge.py --check-overlap|--check-lanes OUT.json DIR_OR_FILES...

--check-overlap exits non-zero unless, on some rank, an intra-node and an
inter-node collective are in flight at the same moment (what s2 is for).
--check-lanes exits non-zero unless every rank has spans on both collective
lanes, each with at least two chunks (s2's pipeline, side by side in the trace).
"""
import glob
import json
import os
import sys


def inputs(args):
    files = []
    for a in args:
        files += sorted(glob.glob(os.path.join(a, "trace-rank*.json"))) if os.path.isdir(a) else [a]
    if not files:
        sys.exit("trace_merge: no trace files in " + " ".join(args))
    return files


def overlapping_lanes(events):
    """(rank, intra event, inter event) pairs whose spans intersect."""
    spans = {}
    for e in events:
        if e.get("ph") == "X" and e["tid"] in (1, 2) and e["dur"] > 0:
            spans.setdefault((e["pid"], e["tid"]), []).append(e)
    for (pid, tid), intra in spans.items():
        if tid != 1:
            continue
        for a in intra:
            for b in spans.get((pid, 2), []):
                if a["ts"] < b["ts"] + b["dur"] and b["ts"] < a["ts"] + a["dur"]:
                    yield pid, a, b


def lanes_missing(events):
    """Ranks lacking spans of two or more chunks on the intra or the inter lane."""
    chunks = {}
    for e in events:
        if e.get("ph") == "X" and e["tid"] in (1, 2):
            chunks.setdefault((e["pid"], e["tid"]), set()).add(e["args"]["chunk"])
    ranks = {e["pid"] for e in events if e.get("ph") == "X"}
    return [(pid, tid) for pid in sorted(ranks) for tid in (1, 2)
            if len(chunks.get((pid, tid), ())) < 2]


def main(argv):
    check = argv[0] if argv[:1] in (["--check-overlap"], ["--check-lanes"]) else None
    if check:
        argv = argv[1:]
    if len(argv) < 2:
        sys.exit(__doc__)
    out, files = argv[0], inputs(argv[1:])
    events = []
    for f in files:
        events += json.load(open(f))["traceEvents"]
    with open(out, "w") as f:
        json.dump({"displayTimeUnit": "ms", "traceEvents": events}, f)
    print(f"trace_merge: {len(files)} ranks, {len(events)} events -> {out}")
    if check == "--check-lanes":
        missing = lanes_missing(events)
        if missing:
            sys.exit(f"trace_merge: (rank, lane) without two chunks of collectives: {missing}")
        print("trace_merge: every rank has chunks on both collective lanes")
    if check == "--check-overlap":
        found = next(overlapping_lanes(events), None)
        if found is None:
            sys.exit("trace_merge: no intra-node and inter-node collectives overlap")
        pid, a, b = found
        print(f"overlap on rank {pid}: {a['name']} #{a['args']['chunk']} (intra) with "
              f"{b['name']} #{b['args']['chunk']} (inter)")


if __name__ == "__main__":
    main(sys.argv[1:])
