#pragma once
// The process grid: MP-innermost rank numbering and the communicators built from it.
//   dense parts: world = dp × mp        mp index r % mp, dp index r / mp
//   MoE layers:  world = edp × ep × esp esp index r % esp, ep (r / esp) % ep,
//                                       edp r / (esp · ep)
// A group is the set of ranks that agree on every other index of their decomposition.
#include <mpi.h>

#include <string>
#include <vector>

#include "core/config.h"

namespace paramoe {

// Expert: the ep × esp ranks of one edp index, which together hold every expert
// once (rank within it = ep index · esp + esp index); data-centric layers gather
// the expert weights over it.
enum class Group { World, Node, Mp, Dp, Ep, Esp, Edp, Expert };
const char* group_name(Group g);

struct Layout {
  int world = 1;
  int mp = 1, ep = 1, esp = 1;
  int ranks_per_node = 0;
  int dp() const { return world / mp; }
  int edp() const { return world / (ep * esp); }
};

struct GroupIndex {
  int mp, dp, esp, ep, edp;
};

GroupIndex group_index(int rank, const Layout& layout);

// parallel.ranks_per_node, or where that is 0, $PARAMOE_RANKS_PER_NODE: the
// per-rank emulated testbed (jobs/emulated/cluster.sh up --profile) makes every
// rank its own host, so MPI cannot tell which ranks form a node, and its `run`
// sets the variable. 0: MPI_COMM_TYPE_SHARED decides. A bad value throws a
// paramoe::Error naming the variable (every rank reads the same environment).
int ranks_per_node_setting(int configured);

// Every check that needs no communication: what is wrong, or "" if nothing is.
std::string layout_problem(const Layout& layout, const MoeConfig& moe);
// The same as a collective paramoe::Error with one message naming the keys
// involved, so all ranks fail alike before any collective.
void layout_validate(const Layout& layout, const MoeConfig& moe);

class ProcessGrid {
 public:
  // Collective over `world`. Validates first, then splits the communicators and
  // checks that every MP group lies within one node.
  static ProcessGrid create(MPI_Comm world, const ParallelConfig& par, const MoeConfig& moe);

  ProcessGrid(ProcessGrid&& other) noexcept;
  ProcessGrid& operator=(ProcessGrid&&) = delete;
  ProcessGrid(const ProcessGrid&) = delete;
  ~ProcessGrid();

  MPI_Comm comm(Group g) const;
  int rank(Group g) const;
  int size(Group g) const;
  const Layout& layout() const { return layout_; }
  const GroupIndex& index() const { return index_; }
  int world_rank() const { return world_rank_; }
  int node_id() const { return node_id_; }
  int num_nodes() const { return num_nodes_; }
  std::string describe() const;

 private:
  ProcessGrid() = default;
  Layout layout_;
  GroupIndex index_{};
  int world_rank_ = 0;
  int node_id_ = 0;
  int num_nodes_ = 1;
  MPI_Comm world_ = MPI_COMM_NULL;  // a dup of the caller's, owned
  MPI_Comm node_ = MPI_COMM_NULL, mp_ = MPI_COMM_NULL, dp_ = MPI_COMM_NULL;
  MPI_Comm ep_ = MPI_COMM_NULL, esp_ = MPI_COMM_NULL, edp_ = MPI_COMM_NULL;
  MPI_Comm expert_ = MPI_COMM_NULL;
};

}  // namespace paramoe
