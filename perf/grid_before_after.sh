#!/usr/bin/env bash
# grid_before_after.sh OLD_BIN NEW_BIN [OUT.csv] [PAIRS] [REPEATS]: the layer grid
# (inputs/grids/parm-small.toml at 4 ranks as 2 x 2, every point under replicated,
# s1, s2 and auto) under two paramoe builds, taking turns in ABBA order (PAIRS,
# default 2; REPEATS timed repeats per option, default 5). Both price and pick
# with the committed inputs/clusters/ci-2core-4ranks.toml, so `auto` sees the
# same model. Writes every run's rows (a `variant` and a `run` column first) to
# OUT.csv, and per schedule the median over points of new / old measured time
# (each point's median over its runs) to OUT_summary.csv. Run from the repository root.
set -euo pipefail
old=$1 new=$2 out=${3:-perf/results/grid_before_after.csv} pairs=${4:-2} repeats=${5:-5}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
n=0
run() {  # variant
  local bin=$old
  [[ $1 == new ]] && bin=$new
  n=$((n + 1))
  mpirun --oversubscribe -np 4 "$bin" bench grid inputs/grids/parm-small.toml --ranks-per-node 2 \
    --cluster inputs/clusters/ci-2core-4ranks.toml --repeats "$repeats" --warmup 1 \
    --csv "$work/$n-$1.csv" </dev/null | grep -c "grid point" | sed "s/^/run $n ($1): points /"
}
for p in $(seq "$pairs"); do
  if ((p % 2)); then order=(old new new old); else order=(new old old new); fi
  for v in "${order[@]}"; do run "$v"; done
done
/usr/bin/python3 - "$work" "$out" "${out%.csv}_summary.csv" <<'PY'
import collections, csv, glob, os, statistics, sys
work, out, summary = sys.argv[1:]
runs = []
for path in sorted(glob.glob(os.path.join(work, "*.csv")),
                   key=lambda p: int(os.path.basename(p).split("-")[0])):
    n, variant = os.path.basename(path)[:-4].split("-")
    for row in csv.DictReader(open(path)):
        runs.append(({"variant": variant, "run": n}, row))
keys = ["point", "schedule", "chunks"]
with open(out, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["variant", "run"] + keys + ["mp", "ep", "esp", "measured_ms"])
    for tag, row in runs:
        w.writerow([tag["variant"], tag["run"]] + [row[k] for k in keys] +
                   [row["mp"], row["ep"], row["esp"], row["measured_ms"]])
times = collections.defaultdict(lambda: collections.defaultdict(list))
for tag, row in runs:
    times[tuple(row[k] for k in keys)][tag["variant"]].append(float(row["measured_ms"]))
by_schedule = collections.defaultdict(list)
for key, v in times.items():
    if v["old"] and v["new"]:
        by_schedule[key[1]].append(statistics.median(v["new"]) / statistics.median(v["old"]))
with open(summary, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["schedule", "points", "median_new_over_old", "lowest", "highest"])
    for s, r in sorted(by_schedule.items()):
        w.writerow([s, len(r), f"{statistics.median(r):.4f}", f"{min(r):.4f}", f"{max(r):.4f}"])
    allr = [x for r in by_schedule.values() for x in r]
    w.writerow(["all", len(allr), f"{statistics.median(allr):.4f}", f"{min(allr):.4f}",
                f"{max(allr):.4f}"])
print(open(summary).read())
PY
