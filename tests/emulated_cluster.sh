#!/usr/bin/env bash
# emulated_cluster.sh PARAMOE: brings up the emulated two-node cluster
# (jobs/emulated/cluster.sh), runs `paramoe calibrate` across it, and passes if MPI
# saw two nodes of two ranks and the shaped inter-node link measured slower than
# shared memory inside a node. Prints "no netns: <why>" and exits 0 where network
# namespaces cannot be made (not root, or no CAP_NET_ADMIN); CTest reports a skip.
set -u
paramoe=$1
cluster="$(cd "$(dirname "$0")/.." && pwd)/jobs/emulated/cluster.sh"
if ! why=$(ip netns add pmprobe 2>&1); then
  echo "no netns: ${why:-ip netns add failed}"
  exit 0
fi
ip netns del pmprobe
work=$(mktemp -d)
trap '"$cluster" down >/dev/null 2>&1; rm -rf "$work"' EXIT
"$cluster" up 2 1gbit || { echo "FAIL: cluster.sh up"; exit 1; }
timeout 240 "$cluster" run 4 "$paramoe" calibrate --repeats 1 --out "$work/c.toml" </dev/null ||
  { echo "FAIL: calibrate across the emulated nodes"; exit 1; }
cat "$work/c.toml"
grep -q '^nodes = 2$' "$work/c.toml" && grep -q '^ranks_per_node = 2$' "$work/c.toml" ||
  { echo "FAIL: MPI did not see 2 nodes of 2 ranks"; exit 1; }
bw() { awk -v s="[$1]" '$0 == s {f = 1} f && /^bandwidth_GBps/ {print $3; exit}' "$work/c.toml"; }
awk -v a="$(bw inter)" -v b="$(bw intra)" 'BEGIN { exit !(a < b) }' ||
  { echo "FAIL: inter-node $(bw inter) GB/s is not below intra-node $(bw intra) GB/s"; exit 1; }
echo "OK: 2 nodes x 2 ranks; inter $(bw inter) GB/s < intra $(bw intra) GB/s"
