# perf/testbed_up.sh: sourced by the testbed benchmarks. testbed_up PROFILE TOML
# brings up the time-dilated per-rank testbed (2 nodes x 2 ranks, dilation from a
# local calibrate; jobs/emulated/cluster.sh up --profile), takes it down on exit,
# loads its settings (DILATION, ...) and writes the calibration taken inside it to
# TOML, the file the predictor prices with. Sets here, cluster and PARAMOE.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cluster=$here/jobs/emulated/cluster.sh
export PARAMOE=$here/build/app/paramoe
testbed_up() {
  local profile=$1 toml=$2
  trap '"$cluster" down >/dev/null 2>&1 || true' EXIT
  "$cluster" up --profile "$here/inputs/clusters/$profile.toml" --nodes 2 --ranks 4 --dilate auto
  # shellcheck disable=SC1091
  source /tmp/paramoe-emulated/testbed.env
  "$cluster" run 4 "$PARAMOE" calibrate --repeats 3 --name "testbed-$profile-2x2" --out "$toml" |
    tail -1
}
