#!/usr/bin/env bash
# Open MPI's launch agent for the emulated cluster (cluster.sh): called like ssh
# as `netns-agent.sh [ssh options] HOST COMMAND...`, it runs COMMAND inside the
# namespace of the node or rank whose address is HOST (cluster.sh's list), with
# the namespace's name as its hostname.
while [[ $1 == -* ]]; do shift; done
host=$1
shift
ns=$(awk -v h="$host" '$1 == h {print $2}' /tmp/paramoe-emulated/namespaces)
[[ -n $ns ]] || { echo "netns-agent.sh: $host is not a host of the emulated cluster" >&2; exit 1; }
exec ip netns exec "$ns" unshare --uts sh -c "hostname $ns; exec $*"
