#!/usr/bin/env bash
# progress_modes_same.sh PARAMOE CONFIG: how the CPU drives s2's collectives in
# flight (moe.progress) changes when bytes move, never what is computed: the MoE
# stack trained with s2 at np 4 (mp 2, ep 2, esp 2, 4 chunks) gives bit-identical
# losses whether the collectives are polled between the experts' row blocks
# ("blocks"), only in waits ("waits") or by a progress thread ("thread", asked for
# by --set and, in a second run, by the config file itself, which is how main
# learns to start MPI with MPI_THREAD_MULTIPLE).
set -euo pipefail
bin=$1 cfg=$2
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
common=(--set train.steps=5 --set moe.schedule=s2 --set moe.chunks=4)
run() {  # name config extra...
  local name=$1 config=$2; shift 2
  mpiexec --oversubscribe -np 4 "$bin" train "$config" "${common[@]}" "$@" \
    --set train.metrics_csv="$work/$name.csv" > "$work/$name.log" 2>&1 </dev/null ||
    { cat "$work/$name.log"; echo "FAIL: $name"; exit 1; }
}
sed 's/^\[moe\]$/[moe]\nprogress = "thread"/' "$cfg" > "$work/thread.toml"
grep -q '^progress = "thread"' "$work/thread.toml" || { echo "FAIL: no [moe] table in $cfg"; exit 1; }
run blocks "$cfg" --set moe.progress=blocks
run waits "$cfg" --set moe.progress=waits
run thread_set "$cfg" --set moe.progress=thread
run thread_file "$work/thread.toml"
for name in waits thread_set thread_file; do
  cmp <(cut -d, -f2 "$work/blocks.csv") <(cut -d, -f2 "$work/$name.csv") ||
    { paste -d, "$work/blocks.csv" "$work/$name.csv"; echo "FAIL: $name's losses differ"; exit 1; }
done
echo "OK: blocks, waits and thread give the same $(($(wc -l < "$work/blocks.csv") - 1)) losses"
