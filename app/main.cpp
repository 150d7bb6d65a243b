// paramoe: one SPMD executable for distributed MoE training. Every rank runs main;
// the subcommands are listed in commands.cpp, one cmd_*.cpp file each.
#include <mpi.h>

#include <string_view>

#include "app/command.h"

int main(int argc, char** argv) {
  // Colocated models (--colocate) run in threads of their own, each calling MPI on
  // its own communicators; every other run keeps the cheaper FUNNELED level.
  bool threads = false;
  for (int i = 1; i < argc; ++i) threads = threads || std::string_view(argv[i]) == "--colocate";
  int provided = 0;
  MPI_Init_thread(&argc, &argv, threads ? MPI_THREAD_MULTIPLE : MPI_THREAD_FUNNELED, &provided);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  const int rc = paramoe::commands_run(argc, argv);
  MPI_Finalize();
  return rc;
}
