#include "comm/agreement.h"

#include <climits>

#include "comm/watchdog.h"
#include "core/error.h"

namespace paramoe {

void bcast_string(std::string& s, int root, MPI_Comm comm) {
  int len = static_cast<int>(s.size());
  MPI_CHECK(MPI_Bcast(&len, 1, MPI_INT, root, comm));
  s.resize(static_cast<size_t>(len));
  MPI_CHECK(MPI_Bcast(s.data(), len, MPI_CHAR, root, comm));
}

void agree(MPI_Comm comm, bool ok, const std::string& message) {
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(comm, &rank));
  int first_failed = ok ? INT_MAX : rank;
  // Ranks agree after work of their own (a file each reads), so the wait for the
  // slowest is watched like any collective's.
  const WatchdogCollective entered(comm, Group::World, "MPI_Allreduce (agreement)", 4.0);
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &first_failed, 1, MPI_INT, MPI_MIN, comm));
  if (first_failed == INT_MAX) return;
  std::string text = rank == first_failed ? message : std::string();
  bcast_string(text, first_failed, comm);
  throw_collective(text);
}

}  // namespace paramoe
