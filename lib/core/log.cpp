#include "core/log.h"

#include <mpi.h>

#include <string>

namespace paramoe {

namespace {
thread_local std::string thread_prefix;
}  // namespace

void log_set_thread_prefix(const std::string& prefix) {
  thread_prefix = prefix;
}

int world_rank() {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return 0;
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

void log_info(const std::string& msg) {
  if (world_rank() != 0) return;
  std::fprintf(stdout, "%s%s\n", thread_prefix.c_str(), msg.c_str());
  std::fflush(stdout);
}

void log_warn(const std::string& msg) {
  if (world_rank() != 0) return;
  std::fprintf(stderr, "paramoe: warning: %s%s\n", thread_prefix.c_str(), msg.c_str());
}

void log_error_any_rank(const std::string& msg) {
  std::fprintf(stderr, "paramoe: error (rank %d): %s%s\n", world_rank(), thread_prefix.c_str(),
               msg.c_str());
  std::fflush(stderr);
}

}  // namespace paramoe
