#!/usr/bin/env bash
# emulated_testbed.sh PARAMOE TEST_MOE_LAYER: the per-rank, time-dilated testbed
# (jobs/emulated/cluster.sh up --profile) at 2 nodes x 2 ranks of PipeMoE's 2080Ti
# cluster. It checks that:
#   - bad profiles and options fail with one clear error and leave no namespace;
#   - `paramoe calibrate` inside recovers both shaped rates within 20% and sees 2
#     nodes of 2 ranks;
#   - s2 agrees with s1 (and every schedule with PyTorch's golden values) across
#     the shaped links, and its two lanes overlap (bench layer's overlap % > 0);
# and then that `down` leaves nothing behind, even after a failure. Prints "no netns:
# <why>" and exits 0 where namespaces cannot be made (not root); CTest reports a skip.
set -u
paramoe=$1
moe_test=$2
root="$(cd "$(dirname "$0")/.." && pwd)"
cluster="$root/jobs/emulated/cluster.sh"
export PARAMOE=$paramoe
if ! why=$(ip netns add pmprobe 2>&1); then
  echo "no netns: ${why:-ip netns add failed}"
  exit 0
fi
ip netns del pmprobe
work=$(mktemp -d)
leftovers() { ip netns list 2>/dev/null | awk '/^pm(node|rank)[0-9]/' | wc -l; }
trap '"$cluster" down >/dev/null 2>&1; rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Bad input: one clear error, no namespace.
profile=$root/inputs/clusters/pipemoe-2080ti.toml
sed 's/^gemm_TFLOPs = .*/gemm_TFLOPs = 26.8\nspeed_of_light = 1/' "$profile" >"$work/unknown-key.toml"
sed 's/^bandwidth_GBps = 2.8/bandwidth_GBps = 0/' "$profile" >"$work/zero-rate.toml"
expect_error() {  # expect_error WHAT PATTERN ARGS...
  local what=$1 pattern=$2
  shift 2
  local out
  out=$("$cluster" up "$@" 2>&1) && fail "$what: up succeeded"
  grep -q -- "$pattern" <<<"$out" || fail "$what: expected an error matching '$pattern', got: $out"
  (($(leftovers) == 0)) || fail "$what: namespaces left behind"
  echo "ok: $what -> $(grep -m1 -- "$pattern" <<<"$out")"
}
expect_error "unknown key" "speed_of_light" --profile "$work/unknown-key.toml"
expect_error "rate <= 0" "bandwidth_GBps.*expected a number > 0" --profile "$work/zero-rate.toml"
expect_error "ranks not dividing into nodes" "does not divide into --nodes" \
  --profile "$profile" --nodes 2 --ranks 3
expect_error "dilation not a number" "--dilate: expected" --profile "$profile" --dilate fast
expect_error "dilation zero" "--dilate: expected" --profile "$profile" --dilate 0
expect_error "missing profile" "no-such-profile.toml" --profile "$work/no-such-profile.toml"

# The testbed.
"$cluster" up --profile "$profile" --nodes 2 --ranks 4 --dilate auto | tee "$work/up.txt" ||
  fail "cluster.sh up --profile"
# shellcheck disable=SC1091
source /tmp/paramoe-emulated/testbed.env
timeout 400 "$cluster" run 4 "$paramoe" calibrate --repeats 2 --out "$work/c.toml" </dev/null ||
  fail "calibrate inside the testbed"
cat "$work/c.toml"
grep -q '^nodes = 2$' "$work/c.toml" && grep -q '^ranks_per_node = 2$' "$work/c.toml" ||
  fail "calibrate did not see 2 nodes of 2 ranks (PARAMOE_RANKS_PER_NODE)"
measured() {  # the pair exchange's GB/s of intra or inter, from the file's comment
  sed -n "s/^# Measured pair exchanges.* $1 \([0-9.e+-]*\) GB\/s.*/\1/p" "$work/c.toml"
}
within() {  # within NAME MEASURED_GBps SHAPED_KBIT
  awk -v m="$2" -v k="$3" -v n="$1" 'BEGIN {
    s = k * 1e3 / 8 / 1e9; r = m / s
    printf "%s: measured %.4g GB/s, shaped %.4g GB/s (%.2fx)\n", n, m, s, r
    exit !(r > 0.8 && r < 1.2) }'
}
within intra "$(measured intra)" "$INTRA_KBIT" || fail "intra rate not within 20% of the shaped one"
within inter "$(measured inter)" "$INTER_KBIT" || fail "inter rate not within 20% of the shaped one"

timeout 400 "$cluster" run 4 "$moe_test" --mp 2 --ep 2 --esp 2 --rpn 2 \
  --gtest_filter='MoeLayer.MatchesPyTorchGolden:MoeLayer.SchedulesAgreeWithS1' </dev/null ||
  fail "the MoE layer's schedules across the testbed"

# s2's two lanes overlap: some of the less busy lane's time has the other busy too.
timeout 300 "$cluster" run 4 "$paramoe" bench layer "$root/inputs/bench/layer-cpu.toml" \
  --set bench.tokens_per_step=256 --set moe.chunks=4 --schedules s1,s2 --repeats 3 \
  --csv "$work/bench.csv" </dev/null || fail "bench layer across the testbed"
overlap=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "lane_overlap_pct") c = i }
  NR > 1 && $1 == "s2" { print $c }' "$work/bench.csv")
awk -v o="$overlap" 'BEGIN { exit !(o > 0) }' || fail "s2's lane overlap is $overlap, expected > 0"
echo "ok: s2's lanes overlap by $(awk -v o="$overlap" 'BEGIN { printf "%.0f%%", 100 * o }')"

"$cluster" down
(($(leftovers) == 0)) || fail "namespaces left after down"
echo "OK: testbed up, calibrated within 20%, schedules agree, torn down"
