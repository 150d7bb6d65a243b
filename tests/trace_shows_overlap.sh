#!/usr/bin/env bash
# trace_shows_overlap.sh DIR LAUNCH...: runs `LAUNCH... --trace DIR` (a paramoe
# bench layer command), merges the per-rank traces and passes if the merged file
# loads and, on some rank, an intra-node collective overlaps an inter-node one.
set -eu
dir=$1
shift
rm -rf "$dir"
"$@" --trace "$dir"
/usr/bin/python3 "$(dirname "$0")/../perf/trace_merge.py" --check-overlap "$dir/merged.json" "$dir"
