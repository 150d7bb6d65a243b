#!/usr/bin/env bash
# trace_shows_overlap.sh DIR LAUNCH...: runs `LAUNCH... --trace DIR` (a paramoe
# bench layer command), merges the per-rank traces and passes if the merged file
# loads and every rank shows s2's chunks on both collective lanes. Whether the
# lanes overlap is not checked here: a span ends at the poll that saw its
# collective complete, and on one machine's shared memory a chunk's collective may
# complete before the other lane's starts. emulated_testbed_2x2 checks the overlap
# where links are slow enough for it (bench layer's lane overlap % > 0).
set -eu
dir=$1
shift
rm -rf "$dir"
"$@" --trace "$dir"
/usr/bin/python3 "$(dirname "$0")/../perf/trace_merge.py" --check-lanes "$dir/merged.json" "$dir"
