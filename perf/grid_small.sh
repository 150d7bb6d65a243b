#!/usr/bin/env bash
# grid_small.sh [OUT.csv] [RUNS]: the Parm-style layer grid
# (inputs/grids/parm-small.toml) under replicated, s1, s2 and auto, RUNS times
# (default 3), each run on its own calibration (perf/grid_runs.sh, 15 timed repeats
# per option). The first run's cluster file becomes
# inputs/clusters/ci-2core-4ranks.toml.
# Then: perf/plot_grid.py OUT perf/results/grid_small
set -euo pipefail
exec "$(dirname "$0")/grid_runs.sh" inputs/grids/parm-small.toml \
  "${1:-perf/results/grid_small.csv}" "${2:-3}" 15 inputs/clusters/ci-2core-4ranks.toml
