#include "comm/process_grid.h"

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "comm/alltoallv_2dh.h"
#include "core/error.h"

namespace paramoe {

int ranks_per_node_setting(int configured) {
  if (configured != 0) return configured;
  const char* env = std::getenv("PARAMOE_RANKS_PER_NODE");
  if (!env || !*env) return 0;
  int n = 0;
  const char* end = env + std::strlen(env);
  const auto [p, ec] = std::from_chars(env, end, n);
  if (ec != std::errc() || p != end || n < 1)
    throw_collective(std::string("PARAMOE_RANKS_PER_NODE=") + env + ": expected an integer >= 1");
  return n;
}

const char* group_name(Group g) {
  switch (g) {
    case Group::World:
      return "world";
    case Group::Node:
      return "node";
    case Group::Mp:
      return "mp";
    case Group::Dp:
      return "dp";
    case Group::Ep:
      return "ep";
    case Group::Esp:
      return "esp";
    case Group::Edp:
      return "edp";
    case Group::Expert:
      return "expert";
  }
  return "?";
}

GroupIndex group_index(int r, const Layout& l) {
  return GroupIndex{r % l.mp, r / l.mp, r % l.esp, (r / l.esp) % l.ep, r / (l.esp * l.ep)};
}

std::string layout_problem(const Layout& l, const MoeConfig& moe) {
  if (l.mp < 1 || l.ep < 1 || l.esp < 1) return "mp, ep and esp must be >= 1";
  if (l.world % l.mp != 0)
    return "world size " + std::to_string(l.world) +
           " is not divisible by mp=" + std::to_string(l.mp);
  if (l.world % (l.ep * l.esp) != 0)
    return "world size " + std::to_string(l.world) +
           " is not divisible by ep*esp=" + std::to_string(l.ep * l.esp);
  if (moe.num_experts % l.ep != 0)
    return "moe.num_experts=" + std::to_string(moe.num_experts) +
           " is not divisible by ep=" + std::to_string(l.ep);
  if (moe.d_hidden % l.esp != 0)
    return "moe.d_hidden=" + std::to_string(moe.d_hidden) +
           " is not divisible by esp=" + std::to_string(l.esp);
  if (moe.shared_experts > 0 && (int64_t{moe.shared_experts} * moe.d_hidden) % l.mp != 0)
    return "moe.shared_experts=" + std::to_string(moe.shared_experts) +
           " x moe.d_hidden=" + std::to_string(moe.d_hidden) +
           " (the shared FFN's width) is not divisible by mp=" + std::to_string(l.mp) +
           ", which slices it";
  if (moe.effective_schedule() == "replicated" && l.esp != l.mp)
    return "moe.schedule=\"replicated\" needs esp == mp: its MP replicas hold the same tokens "
           "and each feeds its own ESP slice; use schedule \"s1\" for esp != mp";
  if (l.ranks_per_node < 0) return "ranks_per_node must be >= 0";
  if (l.ranks_per_node > 0) {
    if (l.world % l.ranks_per_node != 0) return "world size is not divisible by ranks_per_node";
    if (l.ranks_per_node % l.mp != 0)
      return "an MP group would cross a node: ranks_per_node=" + std::to_string(l.ranks_per_node) +
             " is not a multiple of mp=" + std::to_string(l.mp);
  }
  return "";
}

void layout_validate(const Layout& l, const MoeConfig& moe) {
  const std::string why = layout_problem(l, moe);
  if (why.empty()) return;
  std::ostringstream m;
  m << "bad parallel layout (world=" << l.world << ", parallel.mp=" << l.mp
    << ", parallel.ep=" << l.ep << ", parallel.esp=" << l.esp;
  if (l.ranks_per_node) m << ", parallel.ranks_per_node=" << l.ranks_per_node;
  m << "): " << why;
  throw_collective(m.str());
}

namespace {
// moe.a2a = "2dh" exchanges inside nodes and then between them, so every EP
// group must span at least two nodes with as many of its ranks on each. Every rank
// checks every group from the world's node leaders, so all fail alike.
void two_level_validate(const std::vector<int>& leaders, const Layout& l) {
  for (int r = 0; r < l.world; ++r) {
    if (group_index(r, l).ep != 0) continue;  // one check per EP group, from its first rank
    std::vector<int> nodes;
    for (int e = 0; e < l.ep; ++e) nodes.push_back(leaders[r + e * l.esp]);
    const std::string spread = two_level_problem(nodes);
    if (spread.empty()) continue;
    throw_collective(
        "moe.a2a = \"2dh\" needs every EP group to span at least two nodes with "
        "the same number of its ranks on each, but in the group of world rank " +
        std::to_string(r) + " (parallel.ep=" + std::to_string(l.ep) + ") " + spread +
        "; expected \"native\", \"pairwise\" or \"ordered\" here, or more nodes "
        "(parallel.ranks_per_node sets them)");
  }
}
}  // namespace

ProcessGrid ProcessGrid::create(MPI_Comm world, const ParallelConfig& par, const MoeConfig& moe) {
  ProcessGrid g;
  MPI_Comm_set_errhandler(world, MPI_ERRORS_RETURN);
  MPI_CHECK(MPI_Comm_size(world, &g.layout_.world));
  MPI_CHECK(MPI_Comm_rank(world, &g.world_rank_));
  g.layout_.mp = par.mp;
  g.layout_.ep = par.ep;
  g.layout_.esp = par.esp;
  g.layout_.ranks_per_node = ranks_per_node_setting(par.ranks_per_node);
  layout_validate(g.layout_, moe);  // before any collective

  MPI_CHECK(MPI_Comm_dup(world, &g.world_));
  const int r = g.world_rank_;
  const Layout& l = g.layout_;
  g.index_ = group_index(r, l);
  const GroupIndex& i = g.index_;

  if (l.ranks_per_node > 0) {
    MPI_CHECK(MPI_Comm_split(g.world_, r / l.ranks_per_node, r, &g.node_));
  } else {
    MPI_CHECK(MPI_Comm_split_type(g.world_, MPI_COMM_TYPE_SHARED, r, MPI_INFO_NULL, &g.node_));
  }
  // A node's id is the lowest world rank on it.
  int leader = r;
  MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &leader, 1, MPI_INT, MPI_MIN, g.node_));
  std::vector<int> leaders(l.world);
  MPI_CHECK(MPI_Allgather(&leader, 1, MPI_INT, leaders.data(), 1, MPI_INT, g.world_));
  std::vector<int> ids;
  for (int q = 0; q < l.world; ++q)
    if (leaders[q] == q) ids.push_back(q);
  g.num_nodes_ = static_cast<int>(ids.size());
  for (size_t n = 0; n < ids.size(); ++n)
    if (ids[n] == leader) g.node_id_ = static_cast<int>(n);
  for (int q = 0; q < l.world; ++q) {
    const int first = (q / l.mp) * l.mp;
    if (leaders[q] != leaders[first])
      throw_collective("bad parallel layout: MP group of ranks " + std::to_string(first) + ".." +
                       std::to_string(first + l.mp - 1) + " crosses a node boundary (rank " +
                       std::to_string(q) +
                       " is on another node); parallel.mp=" + std::to_string(l.mp) +
                       " must divide the ranks per node and ranks must be placed by node");
  }

  if (moe.a2a == "2dh") two_level_validate(leaders, l);

  MPI_CHECK(MPI_Comm_split(g.world_, i.dp, i.mp, &g.mp_));
  MPI_CHECK(MPI_Comm_split(g.world_, i.mp, i.dp, &g.dp_));
  MPI_CHECK(MPI_Comm_split(g.world_, r / l.esp, i.esp, &g.esp_));
  MPI_CHECK(MPI_Comm_split(g.world_, i.esp + l.esp * i.edp, i.ep, &g.ep_));
  MPI_CHECK(MPI_Comm_split(g.world_, r % (l.esp * l.ep), i.edp, &g.edp_));
  MPI_CHECK(MPI_Comm_split(g.world_, i.edp, r % (l.esp * l.ep), &g.expert_));
  return g;
}

ProcessGrid::ProcessGrid(ProcessGrid&& o) noexcept
    : layout_(o.layout_),
      index_(o.index_),
      world_rank_(o.world_rank_),
      node_id_(o.node_id_),
      num_nodes_(o.num_nodes_),
      world_(o.world_),
      node_(o.node_),
      mp_(o.mp_),
      dp_(o.dp_),
      ep_(o.ep_),
      esp_(o.esp_),
      edp_(o.edp_),
      expert_(o.expert_) {
  o.world_ = o.node_ = o.mp_ = o.dp_ = o.ep_ = o.esp_ = o.edp_ = o.expert_ = MPI_COMM_NULL;
}

ProcessGrid::~ProcessGrid() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  for (MPI_Comm* c : {&node_, &mp_, &dp_, &ep_, &esp_, &edp_, &expert_, &world_})
    if (*c != MPI_COMM_NULL) MPI_Comm_free(c);
}

MPI_Comm ProcessGrid::comm(Group g) const {
  switch (g) {
    case Group::World:
      return world_;
    case Group::Node:
      return node_;
    case Group::Mp:
      return mp_;
    case Group::Dp:
      return dp_;
    case Group::Ep:
      return ep_;
    case Group::Esp:
      return esp_;
    case Group::Edp:
      return edp_;
    case Group::Expert:
      return expert_;
  }
  return MPI_COMM_NULL;
}

int ProcessGrid::rank(Group g) const {
  int r = 0;
  MPI_CHECK(MPI_Comm_rank(comm(g), &r));
  return r;
}

int ProcessGrid::size(Group g) const {
  int s = 0;
  MPI_CHECK(MPI_Comm_size(comm(g), &s));
  return s;
}

std::string ProcessGrid::describe() const {
  std::ostringstream m;
  m << "world=" << layout_.world << " nodes=" << num_nodes_ << " mp=" << layout_.mp
    << " dp=" << layout_.dp() << " ep=" << layout_.ep << " esp=" << layout_.esp
    << " edp=" << layout_.edp();
  return m.str();
}

}  // namespace paramoe
