#pragma once
// The all-to-all(v) of rows, four ways that move the same bytes to the same
// places (`moe.a2a`): native MPI_Alltoallv, the classic pairwise exchange,
// Aurora's ordered rounds (a2a_order.h) and Tutel's two-level 2DH across nodes
// (alltoallv_2dh.h). Buffers hold each peer's block at the prefix of the counts,
// as MPI_Alltoallv's are.
#include <mpi.h>

#include <string>
#include <vector>

#include "comm/a2a_order.h"

namespace paramoe {

enum class A2aMethod { Native, Pairwise, Ordered, TwoDh, Auto };
class TwoLevelComm;
A2aMethod a2a_method_from_string(const std::string& s);  // throws Error
const char* a2a_method_name(A2aMethod m);                // as moe.a2a spells it

// What `auto` prices the methods with: each rank's link bandwidth (bytes/s; one
// value for all, or one per rank) and the start-up latency per message; across
// nodes, that of the inter-node link, and the intra-node link's for 2DH's first
// phase (0: the same).
struct A2aLinkModel {
  Bandwidths bytes_per_s = {1e9};
  double latency_s = 10e-6;
  double incast_penalty = 0;  // a receiver fed by k senders at once (a2a_simulate.h)
  double intra_bytes_per_s = 0, intra_latency_s = 0;
};

// Where each peer's block starts, for blocks of `counts` laid out in peer order.
std::vector<int> displacements(const std::vector<int>& counts);

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

// The traffic matrix in rows (collective over comm), checked against this rank's
// receive counts; and an order over it, run as alltoallv_ordered runs one.
TrafficMatrix gather_traffic(MPI_Comm comm, const RowBuffers& b);
void run_order(MPI_Comm comm, const RowBuffers& b, const A2aOrder& order);

// What `auto` runs on a traffic matrix in rows of row_bytes: native (all at once),
// pairwise or ordered (`order`), each priced under the big-switch model with the
// link's incast penalty; native unless an order is clearly faster, and ordered
// over pairwise unless pairwise is clearly faster. With `ordered`, the priced
// order is kept for running. No MPI.
A2aMethod a2a_choose(const TrafficMatrix& rows, size_t row_bytes, OrderAlgorithm order,
                     const A2aLinkModel& model, A2aOrder* ordered = nullptr);

// After the same counts exchange as ordered, every rank picks on this call's
// traffic matrix and runs the pick (all ranks pick alike). Returns it. Across
// nodes (`levels` given), 2DH is first priced against a flat exchange
// (a2a_level_price); where flat wins, or with no levels, a2a_choose picks.
A2aMethod alltoallv_auto(MPI_Comm comm, const RowBuffers& b, OrderAlgorithm order,
                         const A2aLinkModel& model, const TwoLevelComm* levels = nullptr);

// Any of the five; `order` is used by Ordered and Auto, `model` by Auto, `levels`
// (made from comm) by TwoDh, which needs it, and by Auto.
void alltoallv_rows_with(A2aMethod method, OrderAlgorithm order, MPI_Comm comm, const RowBuffers& b,
                         const A2aLinkModel& model = {}, const TwoLevelComm* levels = nullptr);

}  // namespace paramoe
