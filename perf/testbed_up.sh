# perf/testbed_up.sh: sourced by the testbed benchmarks. testbed_up PROFILE TOML
# [RANKS=4] brings up the time-dilated per-rank testbed (2 nodes x RANKS/2 ranks,
# dilation from a local calibrate; jobs/emulated/cluster.sh up --profile), takes it
# down on exit, loads its settings (DILATION, ...) and writes the calibration taken
# inside it to TOML (without calibrate's fit), the file the predictor prices with.
# Sets here, cluster, PARAMOE, NP (the testbed's ranks) and work (a scratch
# directory, removed on exit). append_rows RUN.csv
# OUT.csv COLUMNS VALUES appends a run's rows to OUT.csv with COLUMNS (its header on
# first use) set to VALUES.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cluster=$here/jobs/emulated/cluster.sh
export PARAMOE=${PARAMOE:-$here/build/app/paramoe}
testbed_up() {
  local profile=$1 toml=$2
  NP=${3:-4}
  work=${work:-$(mktemp -d)}
  trap '"$cluster" down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
  "$cluster" up --profile "$here/inputs/clusters/$profile.toml" --nodes 2 --ranks "$NP" --dilate auto
  # shellcheck disable=SC1091
  source /tmp/paramoe-emulated/testbed.env
  # --no-fit: the fit over small layers misprices the testbed (perf/results,
  # testbed_grid_reprice.csv); TESTBED_FIT=1 keeps it, as the runs before 2026-12-04.
  local fit=(--no-fit)
  [[ ${TESTBED_FIT:-0} == 1 ]] && fit=()
  "$cluster" run "$NP" "$PARAMOE" calibrate --repeats 3 --name "testbed-$profile-2x$((NP / 2))" \
    "${fit[@]}" --out "$toml" | tail -1
}
append_rows() {
  local run=$1 out=$2 columns=$3 values=$4
  [[ -f $out ]] || echo "$(head -1 "$run"),$columns" >"$out"
  tail -n +2 "$run" | sed "s/\$/,$values/" >>"$out"
}
