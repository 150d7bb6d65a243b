// paramoe: one SPMD executable for distributed MoE training. Every rank runs main;
// the subcommands are listed in commands.cpp, one cmd_*.cpp file each.
#include <mpi.h>

#include "app/command.h"
#include "app/mpi_thread_level.h"

int main(int argc, char** argv) {
  // Colocated models and the progress thread call MPI from threads of their own;
  // every other run keeps the cheaper FUNNELED level.
  int provided = 0;
  MPI_Init_thread(&argc, &argv, paramoe::mpi_thread_level_wanted(argc, argv), &provided);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  const int rc = paramoe::commands_run(argc, argv);
  MPI_Finalize();
  return rc;
}
