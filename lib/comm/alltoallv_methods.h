#pragma once
// The all-to-all(v) of rows, three ways that move the same bytes to the same
// places (`moe.a2a`): native MPI_Alltoallv, the classic pairwise exchange, and
// Aurora's ordered rounds (a2a_order.h). Buffers hold each peer's block at the
// prefix of the counts, as MPI_Alltoallv's are.
#include <mpi.h>

#include <string>
#include <vector>

#include "comm/a2a_order.h"

namespace paramoe {

enum class A2aMethod { Native, Pairwise, Ordered };
A2aMethod a2a_method_from_string(const std::string& s);  // throws Error

struct RowBuffers {
  const char* send;
  const std::vector<int>& send_rows;
  char* recv;
  const std::vector<int>& recv_rows;
  MPI_Datatype row;  // a committed contiguous type of one row
  size_t row_bytes;
};

// MPI_Alltoallv with the row type.
void alltoallv_native(MPI_Comm comm, const RowBuffers& b);

// Step s = 1..n−1: MPI_Sendrecv to rank+s, from rank−s.
void alltoallv_pairwise(MPI_Comm comm, const RowBuffers& b);

// Gathers every rank's send counts (the traffic matrix), derives the same order
// on every rank, then runs it with at most one send and one receive in flight per
// rank, in the order's sequence.
void alltoallv_ordered(MPI_Comm comm, const RowBuffers& b, OrderAlgorithm algorithm);

// Any of the three; `order` is used by Ordered only.
void alltoallv_rows_with(A2aMethod method, OrderAlgorithm order, MPI_Comm comm,
                         const RowBuffers& b);

}  // namespace paramoe
