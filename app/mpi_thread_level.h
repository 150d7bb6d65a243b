#pragma once
// The MPI thread level a run asks MPI_Init_thread for, read from the command line
// before MPI starts (the config is read properly later, on every rank).

namespace paramoe {

// MPI_THREAD_MULTIPLE where the run makes MPI calls from a second thread:
// `--colocate` (one thread per model) or moe.progress = "thread" (a progress
// thread), named in a config file on the command line or by --set; otherwise the
// cheaper MPI_THREAD_FUNNELED.
int mpi_thread_level_wanted(int argc, char** argv);

}  // namespace paramoe
