// paramoe: one SPMD executable for distributed MoE training. Every rank runs main;
// the subcommands are listed in commands.cpp, one cmd_*.cpp file each.
#include <mpi.h>

#include "app/command.h"

int main(int argc, char** argv) {
  int provided = 0;
  MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  const int rc = paramoe::commands_run(argc, argv);
  MPI_Finalize();
  return rc;
}
