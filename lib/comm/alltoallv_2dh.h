#pragma once
// Tutel's two-dimensional hierarchical all-to-all (2DH, `moe.a2a = "2dh"`):
//   1. inside each node, rank (node a, local i) sends local peer j every row it
//      has for local index j on any node, grouped by destination node;
//   2. between nodes, the ranks with the same local index exchange: (a, j) sends
//      (b, j) all of node a's rows for (b, j), in one message per node pair;
//   3. each rank moves the received blocks to their senders' places.
// A rank sends N−1 inter-node messages, each L times larger, instead of N·L−L
// (N nodes, L ranks per node): the start-up cost of the slow lane falls by L at
// the price of one pass over the fast lane and two local copies. Tutel measured
// 4.96–5.75× per layer from it at 16–2,048 A100s, where messages are small.
//
// The phases run as MPI_Alltoallv on two sub-communicators of the caller's comm:
// the comm's ranks on this node, and the comm's ranks with this local index.
#include <mpi.h>

#include <string>
#include <vector>

#include "comm/alltoallv_methods.h"

namespace paramoe {

// Whether ranks on the nodes node_ids (one id per rank, any integers that are
// equal exactly within a node) can run 2DH: "" if they span at least two nodes
// with the same number of ranks on each, else how they are spread ("4 ranks lie on
// 1 node(s) with 4 on each"). TwoLevelComm and the layout check both ask it.
std::string two_level_problem(const std::vector<int>& node_ids);

class TwoLevelComm {
 public:
  // Collective over `comm`; `node` is this rank's node id (any integer that is
  // equal exactly on ranks of one node). Usable only where the comm spans at
  // least two nodes with the same number of its ranks on each; otherwise
  // problem() says why, alike on every rank of comm.
  TwoLevelComm(MPI_Comm comm, int node);
  ~TwoLevelComm();
  TwoLevelComm(const TwoLevelComm&) = delete;
  TwoLevelComm& operator=(const TwoLevelComm&) = delete;

  const std::string& problem() const { return problem_; }
  int nodes() const { return nodes_; }
  int per_node() const { return per_node_; }
  // The comm rank of local index j on node b (nodes in order of their lowest comm
  // rank, local indices in comm-rank order).
  int rank_at(int node, int local) const { return rank_at_[node * per_node_ + local]; }
  int node_of(int rank) const { return node_of_[rank]; }
  int local_of(int rank) const { return local_of_[rank]; }
  MPI_Comm intra() const { return intra_; }
  MPI_Comm inter() const { return inter_; }

 private:
  std::string problem_;
  int nodes_ = 1, per_node_ = 1;
  std::vector<int> rank_at_, node_of_, local_of_;
  MPI_Comm intra_ = MPI_COMM_NULL, inter_ = MPI_COMM_NULL;
};

// The 2DH exchange of b over the comm that `levels` was made from; the same
// rows in the same places as alltoallv_native. Throws Error with levels.problem().
void alltoallv_2dh(const TwoLevelComm& levels, const RowBuffers& b);

// Seconds under the α-β model for the two ways across nodes, for `auto`: flat (every
// rank pair one message: n−1 start-ups at the inter-node latency, the node's and
// the other nodes' bytes on their own lanes at once) and 2DH (the intra phase,
// then the inter phase). The busiest rank's send or receive side sets each phase.
struct A2aLevelPrice {
  double flat = 0, two_level = 0;
};
A2aLevelPrice a2a_level_price(const TrafficMatrix& rows, size_t row_bytes,
                              const TwoLevelComm& levels, const A2aLinkModel& model);

}  // namespace paramoe
