#!/usr/bin/env bash
# hexa_sweep.sh [OUT.csv] [RUNS]: model-centric (s1) against data-centric (dc)
# execution over inputs/grids/hexa-sweep-small.toml (tokens per step × expert size,
# two layouts), RUNS times (default 3), each run on its own calibration
# (perf/grid_runs.sh, 9 timed repeats per mode).
# Then: perf/plot_hexa_sweep.py OUT perf/results/hexa_sweep
set -euo pipefail
exec "$(dirname "$0")/grid_runs.sh" inputs/grids/hexa-sweep-small.toml \
  "${1:-perf/results/hexa_sweep.csv}" "${2:-3}" 9
