#!/usr/bin/env bash
# An emulated multi-node cluster on one machine (root needed): each node is a
# network namespace (pmnode0, pmnode1, ...) with its own address on a bridge, so
# that Open MPI uses shared memory inside a node and TCP between nodes, and the
# inter-node links are shaped with tc: a token-bucket rate limit (tbf) in both
# directions. (No added delay: this kernel has no sch_netem, so latency is the
# veth/TCP stack's own.)
#
#   jobs/emulated/cluster.sh up [NODES=2] [RATE=1gbit]   (RATE: one rate, or a comma
#                                 list given to the nodes in turn: unequal links,
#                                 e.g. 1000mbit,800mbit,500mbit,400mbit as Aurora's)
#   jobs/emulated/cluster.sh run NP COMMAND...   (mpirun over the nodes, round-robin slots)
#   jobs/emulated/cluster.sh down
#
# `run` launches through jobs/emulated/netns-agent.sh, which enters a node's
# namespace (and gives it its own hostname) in place of ssh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=/tmp/paramoe-emulated
cmd=${1:-}
shift || true

up() {
  local nodes=${1:-2} rates=${2:-1gbit} rate
  IFS=, read -r -a rate_list <<<"$rates"
  down >/dev/null 2>&1 || true
  mkdir -p "$state"
  ip link add pmbr type bridge
  ip addr add 10.77.0.254/24 dev pmbr
  ip link set pmbr up
  : >"$state/hosts"
  for ((i = 0; i < nodes; i++)); do
    ip netns add "pmnode$i"
    ip link add "pmv$i" type veth peer name "pmn$i" netns "pmnode$i"
    ip link set "pmv$i" master pmbr up
    ip -n "pmnode$i" addr add "10.77.0.$((i + 1))/24" dev "pmn$i"
    ip -n "pmnode$i" link set "pmn$i" up
    ip -n "pmnode$i" link set lo up
    rate=${rate_list[i % ${#rate_list[@]}]}
    # Shape both directions of the node's link: its egress inside the namespace,
    # its ingress as the bridge port's egress.
    ip netns exec "pmnode$i" tc qdisc add dev "pmn$i" root tbf rate "$rate" burst 256kb latency 100ms
    tc qdisc add dev "pmv$i" root tbf rate "$rate" burst 256kb latency 100ms
    echo "10.77.0.$((i + 1)) slots=64" >>"$state/hosts"
  done
  echo "emulated cluster: $nodes nodes, inter-node links shaped to $rates each way"
}

down() {
  for ns in $(ip netns list 2>/dev/null | awk '/^pmnode/{print $1}'); do ip netns del "$ns"; done
  ip link del pmbr 2>/dev/null || true
  # A namespace's veth peers go away asynchronously after it is deleted; an `up`
  # straight after would find their names taken.
  for l in $(ip -o link show 2>/dev/null | sed -n 's/^[0-9]*: \(pmv[0-9]*\)@.*/\1/p'); do
    ip link del "$l" 2>/dev/null || true
  done
  for _ in $(seq 50); do ip -o link show 2>/dev/null | grep -q ' pmv[0-9]*@' || break; sleep 0.1; done
  rm -rf "$state"
}

run() {
  local np=$1
  shift
  [[ -f $state/hosts ]] || { echo "cluster.sh: not up (run: cluster.sh up)" >&2; exit 1; }
  mpirun --allow-run-as-root --oversubscribe -np "$np" --hostfile "$state/hosts" --map-by ppr:$((np / $(wc -l <"$state/hosts"))):node \
    --mca plm_rsh_agent "$here/netns-agent.sh" --mca btl self,vader,tcp \
    --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
    -x OPENBLAS_NUM_THREADS=1 -x PATH ${LD_LIBRARY_PATH:+-x LD_LIBRARY_PATH} "$@"
}

case $cmd in
  up) up "$@" ;;
  down) down ;;
  run) run "$@" ;;
  *) sed -n '2,14p' "$0"; exit 2 ;;
esac
