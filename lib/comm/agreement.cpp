#include "comm/agreement.h"

#include <climits>
#include <vector>

#include "core/error.h"

namespace paramoe {

void agree(MPI_Comm comm, bool ok, const std::string& message) {
  int rank = 0;
  MPI_CHECK(MPI_Comm_rank(comm, &rank));
  int first_failed = ok ? INT_MAX : rank;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &first_failed, 1, MPI_INT, MPI_MIN, comm));
  if (first_failed == INT_MAX) return;
  int len = rank == first_failed ? static_cast<int>(message.size()) : 0;
  MPI_CHECK(MPI_Bcast(&len, 1, MPI_INT, first_failed, comm));
  std::vector<char> text(message.begin(), message.end());
  text.resize(len);
  MPI_CHECK(MPI_Bcast(text.data(), len, MPI_CHAR, first_failed, comm));
  throw_collective(std::string(text.begin(), text.end()));
}

}  // namespace paramoe
