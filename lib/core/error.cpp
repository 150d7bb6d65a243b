#include "core/error.h"

namespace paramoe {

void throw_collective(const std::string& what) {
  throw Error(what, true);
}

void throw_mpi_error(int code, const char* call, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  int rank = -1;
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  throw Error(std::string("MPI call failed on rank ") + std::to_string(rank) + ": " + call + " (" +
              file + ":" + std::to_string(line) + "): " + std::string(text, len));
}

}  // namespace paramoe
