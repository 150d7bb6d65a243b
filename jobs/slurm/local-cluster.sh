#!/usr/bin/env bash
# A real two-node Slurm on this one machine, for testing the sbatch scripts:
# slurmctld and two slurmd daemons (n1, n2, 4 CPUs each) on 127.0.0.1, no munge
# (auth/none), PMIx as the MPI plugin, a private TmpFS per node.
#   jobs/slurm/local-cluster.sh up DIR     start it; prints `export SLURM_CONF=DIR/slurm.conf`
#   jobs/slurm/local-cluster.sh down DIR   stop the daemons (DIR stays, with the logs)
# Needs root and Debian's slurm-wlm (setup.sh installs it). Jobs on it should set
# OMPI_MCA_btl=self,tcp, btl_tcp_if_include=lo and oob_tcp_if_include=lo (the two
# fake nodes share one host, and Open MPI's shared-memory transport breaks across
# them); jobs/slurm/*.sbatch do so when PARAMOE_LOCAL_SLURM=1.
set -euo pipefail
cmd=${1:?usage: local-cluster.sh up|down DIR}
dir=$(mkdir -p "${2:?usage: local-cluster.sh up|down DIR}" && cd "$2" && pwd)
conf=$dir/slurm.conf
port0=${PARAMOE_SLURM_PORT:-16817}

down() {
  for f in "$dir"/slurmd-n1.pid "$dir"/slurmd-n2.pid "$dir"/slurmctld.pid; do
    [[ -s "$f" ]] && kill "$(cat "$f")" 2>/dev/null || true
  done
  sleep 1
  rm -f "$dir"/*.pid
}

case "$cmd" in
down) down; exit 0 ;;
up) ;;
*) echo "local-cluster.sh: unknown command $cmd (up|down)" >&2; exit 2 ;;
esac

command -v slurmctld >/dev/null || { echo "local-cluster.sh: slurmctld not found; run ./setup.sh (slurm-wlm)" >&2; exit 77; }
host=$(hostname -s)
mkdir -p "$dir/state" "$dir/spool/n1" "$dir/spool/n2" "$dir/tmp/n1" "$dir/tmp/n2"
cat > "$conf" <<CONF
ClusterName=paramoe-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port0
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd-%n.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd-%n.log
TmpFS=$dir/tmp/%n
MpiDefault=pmix
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
JobCompType=jobcomp/none
AccountingStorageType=accounting_storage/none
KillWait=5
NodeName=n1 NodeAddr=127.0.0.1 NodeHostname=$host Port=$((port0 + 1)) CPUs=4 State=UNKNOWN
NodeName=n2 NodeAddr=127.0.0.1 NodeHostname=$host Port=$((port0 + 2)) CPUs=4 State=UNKNOWN
PartitionName=local Nodes=n1,n2 Default=YES MaxTime=INFINITE State=UP
CONF
down
export SLURM_CONF=$conf
slurmctld -i -f "$conf"
slurmd -f "$conf" -N n1
slurmd -f "$conf" -N n2
for _ in $(seq 30); do
  if sinfo -h -o "%T %D" 2>/dev/null | grep -q "idle 2"; then
    echo "export SLURM_CONF=$conf"
    exit 0
  fi
  sleep 1
done
echo "local-cluster.sh: the nodes did not come up; see $dir/*.log" >&2
sinfo >&2 || true
tail -5 "$dir"/*.log >&2 || true
exit 1
