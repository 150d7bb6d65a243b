# Sourced by jobs/slurm/*.sbatch (from the submission directory, the repository root).
# Sets what every paramoe job step needs and resolves the variables a user may set:
#   PARAMOE_BIN          the binary (default build/app/paramoe)
#   LAUNCHER             "srun" (default: srun --mpi=pmix, ranks placed block-wise so
#                        consecutive ranks share a node) or "mpirun"
#   PARAMOE_LOCAL_SLURM  1 on the one-host test cluster (jobs/slurm/local-cluster.sh):
#                        Open MPI over TCP on lo, since its shared-memory transport
#                        breaks between two fake nodes on one host
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
PARAMOE_BIN=${PARAMOE_BIN:-build/app/paramoe}
if [[ ${PARAMOE_LOCAL_SLURM:-0} == 1 ]]; then
  export OMPI_MCA_btl=self,tcp OMPI_MCA_btl_tcp_if_include=lo OMPI_MCA_oob_tcp_if_include=lo
fi
[[ $(id -u) -eq 0 ]] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
case ${LAUNCHER:-srun} in
srun) launch=(srun --mpi=pmix --distribution=block:block) ;;
mpirun) launch=(mpirun --map-by core) ;;
*) echo "jobs/slurm: LAUNCHER=$LAUNCHER: expected srun or mpirun" >&2; exit 2 ;;
esac
