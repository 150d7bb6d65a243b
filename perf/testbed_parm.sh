#!/usr/bin/env bash
# perf/testbed_parm.sh OUT_PREFIX [ROUNDS=2]: Parm's schedules on the time-dilated
# per-rank testbed (jobs/emulated/cluster.sh up --profile; root needed), 2 nodes x 2
# ranks, for PipeMoE's 2080Ti profile and Parm's A6000 profile in turn:
#   OUT_PREFIX_<profile>.toml   `paramoe calibrate` run inside the testbed: the file
#                               the predictor prices with (never the declared one);
#   OUT_PREFIX.csv              `bench layer` on inputs/bench/layer-cpu.toml (mp = esp
#                               = ep = 2, 512 tokens per step), replicated, s1 and s2
#                               (r = 4) taking turns in each run; the runs in turn:
#                               Open MPI's yield on with moe.progress = blocks, the
#                               same with progress = waits, yield off with blocks;
#                               ROUNDS of each; bench layer's columns, then profile,
#                               dilation, yield, progress, round.
# Measured (testbed_parm*.csv) before cluster.sh sent messages up to 1 MiB eagerly;
# EMU_EAGER_LIMIT=0 reproduces those runs (perf/testbed_eager_limit.sh compares).
set -euo pipefail
out=${1:?usage: perf/testbed_parm.sh OUT_PREFIX [ROUNDS]}
rounds=${2:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
cluster=$here/jobs/emulated/cluster.sh
export PARAMOE=$here/build/app/paramoe
trap '"$cluster" down >/dev/null 2>&1 || true' EXIT
work=$(mktemp -d)
for profile in pipemoe-2080ti parm-a6000; do
  "$cluster" up --profile "$here/inputs/clusters/$profile.toml" --nodes 2 --ranks 4 --dilate auto
  # shellcheck disable=SC1091
  source /tmp/paramoe-emulated/testbed.env
  "$cluster" run 4 "$PARAMOE" calibrate --repeats 3 --name "testbed-$profile-2x2" \
    --out "${out}_$profile.toml" | tail -1
  for round in $(seq "$rounds"); do
    for variant in 1:blocks 1:waits 0:blocks; do
      yield=${variant%%:*} progress=${variant#*:}
      rm -f "$work/run.csv"
      echo "$profile round $round: yield $yield, progress $progress"
      EMU_YIELD=$yield "$cluster" run 4 "$PARAMOE" bench layer "$here/inputs/bench/layer-cpu.toml" \
        --set bench.tokens_per_step=512 --set moe.chunks=4 --set plan.cluster="${out}_$profile.toml" \
        --set moe.progress="$progress" --schedules replicated,s1,s2 --repeats 15 \
        --csv "$work/run.csv" | grep -E '^  (schedule|replicated|s1|s2) '
      [[ -f $out.csv ]] ||
        echo "$(head -1 "$work/run.csv"),profile,dilation,yield,progress,round" >"$out.csv"
      tail -n +2 "$work/run.csv" | sed "s/\$/,$profile,$DILATION,$yield,$progress,$round/" >>"$out.csv"
    done
  done
  "$cluster" down
done
rm -rf "$work"
