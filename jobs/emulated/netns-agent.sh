#!/usr/bin/env bash
# Open MPI's launch agent for the emulated cluster (cluster.sh): called like ssh
# as `netns-agent.sh [ssh options] HOST COMMAND...`, it runs COMMAND inside the
# namespace of the node whose address is HOST, with that node's own hostname.
while [[ $1 == -* ]]; do shift; done
host=$1
shift
node=pmnode$((${host##*.} - 1))
exec ip netns exec "$node" unshare --uts sh -c "hostname $node; exec $*"
