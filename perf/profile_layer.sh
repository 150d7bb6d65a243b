#!/usr/bin/env bash
# profile_layer.sh [OUTDIR] [TAG]: where the CPU MoE layer's time goes, by Linux perf
# (Debian's linux-perf), at issue 29's layers A and B (2 ranks, mp = 1, ep = 2,
# E = 4, top-2, GELU, dropless, s1; see perf/layers_ab.sh), uniform routing.
# Each rank runs under `perf record` (999 Hz), once with several timed passes and
# once with one; perf/profile_breakdown.py takes the second's samples from the
# first's, symbol by symbol, so that only steady-state passes remain (set-up and
# the warm-up's first touches of every buffer drop out), groups them into the
# layer's parts and writes OUTDIR/profile_layer_<A|B><TAG>.csv.
# Root (or perf_event_paranoid <= 1) needed; run from the repository root.
set -euo pipefail
outdir=${1:-perf/results} tag=${2:-}
bin=$(realpath "${PARAMOE_BIN:-build/app/paramoe}")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cat >"$work/rank.sh" <<SH
#!/usr/bin/env bash
exec perf record -F 999 -q -o "$work/perf.\$OMPI_COMM_WORLD_RANK.data" -- "\$@"
SH
chmod +x "$work/rank.sh"
source "$(dirname "$0")/layers_ab.sh"

profile() {  # profile LAYER REPEATS REPORT: both ranks' samples under perf record
  local repeats=$2 report=$3
  rm -f "$work"/perf.*.data
  mpirun --oversubscribe -np 2 "$work/rank.sh" "$bin" bench layer inputs/bench/layer-cpu.toml \
    "${common[@]}" "${shape[@]}" --set bench.repeats="$repeats" </dev/null | grep -E " s1 "
  for f in "$work"/perf.*.data; do
    perf report -i "$f" --no-children --sort dso,symbol --stdio -q -g none -n 2>/dev/null
  done >"$report"
}
for layer in A B; do
  layer_shape "$layer"
  long=7
  [[ $layer == B ]] && long=4
  profile "$layer" "$long" "$work/long.txt"
  profile "$layer" 1 "$work/short.txt"
  /usr/bin/python3 perf/profile_breakdown.py "$work/long.txt" "$work/short.txt" "$layer" \
    >"$outdir/profile_layer_$layer$tag.csv"
  cat "$outdir/profile_layer_$layer$tag.csv"
done
