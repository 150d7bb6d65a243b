#!/usr/bin/env bash
# An emulated multi-node cluster on one machine (root needed), in one of two forms.
#
# Per node (`up NODES RATE`): each node is a network namespace (pmnode0, ...) with
# its own address on a bridge, so that Open MPI uses shared memory inside a node and
# TCP between nodes, and the inter-node links are shaped with tc token buckets (tbf)
# in both directions.
#
# Per rank (`up --profile P`): a real cluster's testbed, time-dilated. Every rank is
# a namespace of its own (pmrank0, ...), so every rank pair talks TCP through shaped
# links: same-node pairs at the profile's intra rate, other pairs at its inter rate,
# both divided by the dilation factor (paramoe plan testbed prints it: the profile's
# GEMM rate over this machine's per rank, from a local `paramoe calibrate` at the
# same rank count). Each rank's veth carries an htb with one class per link kind and
# u32 filters on the peer's address, on both ends, so that a rank's sends and its
# receives are each shaped per kind (a port model: senders to one receiver share its
# ingress class). Open MPI sees one host per rank, so `run` tells paramoe the nodes
# through PARAMOE_RANKS_PER_NODE, and turns on mpi_yield_when_idle (EMU_YIELD=0 to
# leave it off): Open MPI sees one slot per host, not the 2 cores all ranks share,
# and would otherwise busy-poll. It also limits Open MPI's TCP transport to
# send/receive (btl_tcp_flags send): its emulated RDMA put streams a large message
# as one fragment, and the control messages the other direction needs wait behind
# it in the same socket, so that an exchange's two directions ran one after the
# other (half the rate; measured with two ranks, always). On InfiniBand, puts do
# not block the control path. And it sends messages up to 1 MiB eagerly
# (btl_tcp_eager_limit, rndv_eager_limit and max_send_size; EMU_EAGER_LIMIT=BYTES
# to change, 0 for Open MPI's 64 KiB): with the default, a blocking all-to-all of
# ~130 KB messages ran at about half the shaped rate and bimodally (each message's
# rendezvous waits for its peer's reply behind the shaped queue), and s1's
# all-to-all took 2.1x its eager time on the testbed (perf/results,
# testbed_eager_limit.csv). InfiniBand's rendezvous is an RDMA read with no such
# stall, so eager is the closer model here.
#
# No delay is added in either form: this kernel has no sch_netem, so latency is the
# veth/TCP stack's own.
#
#   jobs/emulated/cluster.sh up [NODES=2] [RATE=1gbit]   (RATE: one rate, or a comma
#                                 list given to the nodes in turn: unequal links,
#                                 e.g. 1000mbit,800mbit,500mbit,400mbit as Aurora's)
#   jobs/emulated/cluster.sh up --profile P [--nodes 2] [--ranks 4] [--dilate auto|X]
#   jobs/emulated/cluster.sh run NP COMMAND...   (mpirun over the nodes or ranks)
#   jobs/emulated/cluster.sh down
#
# `run` launches through jobs/emulated/netns-agent.sh, which enters a host's
# namespace (and gives it its own hostname) in place of ssh. PARAMOE (default:
# build/app/paramoe) is the binary `up --profile` plans with.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=/tmp/paramoe-emulated
cmd=${1:-}
shift || true

# The bridge every host's veth joins; mpirun's side is 10.77.0.254.
make_bridge() {
  ip link add pmbr type bridge
  ip addr add 10.77.0.254/24 dev pmbr
  ip link set pmbr up
  : >"$state/hosts"
  : >"$state/namespaces"
}

# add_host NAMESPACE INDEX SLOTS: a namespace at 10.77.0.(INDEX+1) on the bridge,
# its veth pmnINDEX inside and pmvINDEX outside, listed for mpirun and the agent.
add_host() {
  local ns=$1 i=$2 slots=$3
  ip netns add "$ns"
  ip link add "pmv$i" type veth peer name "pmn$i" netns "$ns"
  ip link set "pmv$i" master pmbr up
  ip -n "$ns" addr add "10.77.0.$((i + 1))/24" dev "pmn$i"
  ip -n "$ns" link set "pmn$i" up
  ip -n "$ns" link set lo up
  echo "10.77.0.$((i + 1)) slots=$slots" >>"$state/hosts"
  echo "10.77.0.$((i + 1)) $ns" >>"$state/namespaces"
}

up() {
  if [[ ${1:-} == --profile ]]; then
    up_profile "$@"
    return
  fi
  local nodes=${1:-2} rates=${2:-1gbit} rate
  IFS=, read -r -a rate_list <<<"$rates"
  down >/dev/null 2>&1 || true
  mkdir -p "$state"
  make_bridge
  for ((i = 0; i < nodes; i++)); do
    add_host "pmnode$i" "$i" 64
    rate=${rate_list[i % ${#rate_list[@]}]}
    # Shape both directions of the node's link: its egress inside the namespace,
    # its ingress as the bridge port's egress.
    ip netns exec "pmnode$i" tc qdisc add dev "pmn$i" root tbf rate "$rate" burst 256kb latency 100ms
    tc qdisc add dev "pmv$i" root tbf rate "$rate" burst 256kb latency 100ms
  done
  echo "emulated cluster: $nodes nodes, inter-node links shaped to $rates each way"
}

# A class's token bucket: EMU_BURST_MS (2) of its rate, at least 16 KB. The fixed
# 256 KB before 2026-12-04 let up to 62 ms' worth of a 33 Mbit/s link through at
# veth speed once refilled, more than a real link's buffers; measured, it was not
# why the smallest layers beat the predictor (perf/results, testbed_grid_burst*).
burst_bytes() {
  local b=$(($1 * ${EMU_BURST_MS:-2} / 8))
  echo $((b > 16384 ? b : 16384))
}

# An htb on dev (run through the prefix, e.g. `ip netns exec NS`) with a class per
# link kind; `match` is dst (a rank's sends) or src (its receives).
shape_rank() {
  local dev=$1 match=$2 me=$3 prefix=${4:-}
  $prefix tc qdisc add dev "$dev" root handle 1: htb default 30
  $prefix tc class add dev "$dev" parent 1: classid 1:10 htb rate "${INTRA_KBIT}kbit" \
    burst "$(burst_bytes "$INTRA_KBIT")" quantum 60000
  $prefix tc class add dev "$dev" parent 1: classid 1:20 htb rate "${INTER_KBIT}kbit" \
    burst "$(burst_bytes "$INTER_KBIT")" quantum 60000
  # Anything else (mpirun's own traffic with the root namespace) is not a link.
  $prefix tc class add dev "$dev" parent 1: classid 1:30 htb rate 10gbit quantum 60000
  # TCP's bare ACKs (IP packets under 64 bytes) skip the shaping: queued behind the
  # other direction's data in the same class they would stall the sender, and both
  # directions of an exchange run at once.
  $prefix tc filter add dev "$dev" parent 1: protocol ip prio 1 u32 match ip protocol 6 0xff \
    match u8 0x05 0x0f at 0 match u16 0x0000 0xffc0 at 2 flowid 1:30
  local q class
  for ((q = 0; q < NODES * RANKS_PER_NODE; q++)); do
    ((q == me)) && continue
    class=1:20
    ((q / RANKS_PER_NODE == me / RANKS_PER_NODE)) && class=1:10
    $prefix tc filter add dev "$dev" parent 1: protocol ip prio 2 u32 \
      match ip "$match" "10.77.0.$((q + 1))/32" flowid "$class"
  done
}

up_profile() {
  local profile="" nodes=2 ranks=4 dilate=auto
  while (($#)); do
    case $1 in
      --profile) profile=$2 ;;
      --nodes) nodes=$2 ;;
      --ranks) ranks=$2 ;;
      --dilate) dilate=$2 ;;
      *) echo "cluster.sh up: unknown option $1 (expected --profile, --nodes, --ranks, --dilate)" >&2; exit 2 ;;
    esac
    shift 2
  done
  local bin=${PARAMOE:-$here/../../build/app/paramoe}
  [[ -x $bin ]] || { echo "cluster.sh: $bin is not built (set PARAMOE)" >&2; exit 1; }
  # Everything is checked before any namespace is made.
  "$bin" plan testbed --profile "$profile" --nodes "$nodes" --ranks "$ranks" --validate
  down >/dev/null 2>&1 || true
  mkdir -p "$state"
  local local_opt=()
  if [[ $dilate == auto ]]; then
    # This machine's GEMM rate per rank, with as many ranks sharing the cores as
    # the testbed will have.
    mpirun --allow-run-as-root --oversubscribe -np "$ranks" -x OPENBLAS_NUM_THREADS=1 \
      "$bin" calibrate --ranks-per-node "$((ranks / nodes))" --repeats 3 \
      --name "local-$ranks-ranks" --out "$state/local.toml" >"$state/local.log" 2>&1 ||
      { cat "$state/local.log" >&2; rm -rf "$state"; exit 1; }
    local_opt=(--local "$state/local.toml")
  fi
  "$bin" plan testbed --profile "$profile" --nodes "$nodes" --ranks "$ranks" --dilate "$dilate" \
    "${local_opt[@]}" --env "$state/testbed.env" || { rm -rf "$state"; exit 1; }
  # shellcheck disable=SC1091
  source "$state/testbed.env"
  make_bridge
  local r
  for ((r = 0; r < ranks; r++)); do
    add_host "pmrank$r" "$r" 1
    shape_rank "pmn$r" dst "$r" "ip netns exec pmrank$r"
    shape_rank "pmv$r" src "$r"
  done
  echo "emulated testbed: $nodes nodes x $((ranks / nodes)) ranks, every rank its own namespace;" \
    "links shaped to ${INTRA_KBIT} kbit/s intra, ${INTER_KBIT} kbit/s inter (dilation $DILATION;" \
    "token buckets $(burst_bytes "$INTRA_KBIT") and $(burst_bytes "$INTER_KBIT") bytes)"
}

down() {
  for ns in $(ip netns list 2>/dev/null | awk '/^pm(node|rank)[0-9]/{print $1}'); do ip netns del "$ns"; done
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
  if [[ -f $state/testbed.env ]]; then
    # shellcheck disable=SC1091
    source "$state/testbed.env"
    ((np == NODES * RANKS_PER_NODE)) ||
      { echo "cluster.sh run: the testbed has $((NODES * RANKS_PER_NODE)) ranks; expected NP = that, got $np" >&2; exit 1; }
    local limit=${EMU_EAGER_LIMIT:-1048576} eager=()
    ((limit > 0)) && eager=(--mca btl_tcp_eager_limit "$limit" --mca btl_tcp_rndv_eager_limit "$limit"
                            --mca btl_tcp_max_send_size "$limit")
    mpirun --allow-run-as-root -np "$np" --hostfile "$state/hosts" --map-by ppr:1:node \
      --mca plm_rsh_agent "$here/netns-agent.sh" --mca btl self,tcp \
      --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
      --mca mpi_yield_when_idle "${EMU_YIELD:-1}" --mca btl_tcp_flags send "${eager[@]}" \
      -x PARAMOE_RANKS_PER_NODE="$RANKS_PER_NODE" ${PARAMOE_WAIT_YIELD:+-x PARAMOE_WAIT_YIELD} \
      ${PARAMOE_PROGRESS_US:+-x PARAMOE_PROGRESS_US} \
      -x OPENBLAS_NUM_THREADS=1 -x PATH ${LD_LIBRARY_PATH:+-x LD_LIBRARY_PATH} "$@"
    return
  fi
  mpirun --allow-run-as-root --oversubscribe -np "$np" --hostfile "$state/hosts" --map-by ppr:$((np / $(wc -l <"$state/hosts"))):node \
    --mca plm_rsh_agent "$here/netns-agent.sh" --mca btl self,vader,tcp \
    --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
    -x OPENBLAS_NUM_THREADS=1 -x PATH ${LD_LIBRARY_PATH:+-x LD_LIBRARY_PATH} "$@"
}

case $cmd in
  up) up "$@" ;;
  down) down ;;
  run) run "$@" ;;
  *) sed -n '2,34p' "$0"; exit 2 ;;
esac
