// Group membership of every communicator against an independent formula, for every
// layout that fits the world size this test is launched with.
#include <gtest/gtest.h>
#include <mpi.h>

#include <algorithm>
#include <vector>

#include "comm/process_grid.h"
#include "tests/mpi_test_args.h"

namespace paramoe {
namespace {

using test::comm_rank;
using test::comm_size;

// World ranks of this communicator's members, in communicator-rank order.
std::vector<int> members(MPI_Comm c) {
  int n;
  MPI_Comm_size(c, &n);
  std::vector<int> out(n);
  int me = comm_rank();
  MPI_Allgather(&me, 1, MPI_INT, out.data(), 1, MPI_INT, c);
  return out;
}

// Expected members written directly from the design's table, not from group_index.
std::vector<int> expected(Group g, int r, int world, int mp, int ep, int esp, int rpn) {
  std::vector<int> out;
  for (int q = 0; q < world; ++q) {
    bool in = false;
    switch (g) {
      case Group::Mp:
        in = q / mp == r / mp;
        break;
      case Group::Dp:
        in = q % mp == r % mp;
        break;
      case Group::Esp:
        in = q / esp == r / esp;
        break;
      case Group::Ep:
        in = q % esp == r % esp && q / (esp * ep) == r / (esp * ep);
        break;
      case Group::Edp:
        in = q % (esp * ep) == r % (esp * ep);
        break;
      case Group::Expert:
        in = q / (esp * ep) == r / (esp * ep);
        break;
      case Group::Node:
        in = rpn ? q / rpn == r / rpn : true;
        break;
      case Group::World:
        in = true;
        break;
    }
    if (in) out.push_back(q);
  }
  return out;
}

struct L {
  int mp, ep, esp, rpn;
};

std::vector<L> layouts_for(int world) {
  std::vector<L> out;
  for (int mp = 1; mp <= world; mp *= 2)
    for (int ep = 1; ep <= world; ep *= 2)
      for (int esp = 1; esp <= world; esp *= 2) {
        if (world % mp || world % (ep * esp)) continue;
        out.push_back({mp, ep, esp, 0});
        if (world >= 4 && (world / 2) % mp == 0) out.push_back({mp, ep, esp, world / 2});
      }
  return out;
}

TEST(ProcessGrid, MembershipMatchesDesignFormula) {
  const int world = comm_size(), r = comm_rank();
  MoeConfig moe;
  moe.num_experts = 16;
  moe.d_hidden = 64;
  int checked = 0;
  for (const L& l : layouts_for(world)) {
    ParallelConfig par{l.mp, l.ep, l.esp, l.rpn};
    ProcessGrid grid = ProcessGrid::create(MPI_COMM_WORLD, par, moe);
    for (Group g : {Group::Mp, Group::Dp, Group::Esp, Group::Ep, Group::Edp, Group::Expert}) {
      EXPECT_EQ(members(grid.comm(g)), expected(g, r, world, l.mp, l.ep, l.esp, l.rpn))
          << "group " << group_name(g) << " rank " << r << " mp=" << l.mp << " ep=" << l.ep
          << " esp=" << l.esp;
    }
    if (l.rpn) {
      EXPECT_EQ(members(grid.comm(Group::Node)), expected(Group::Node, r, world, 1, 1, 1, l.rpn));
      EXPECT_EQ(grid.num_nodes(), world / l.rpn);
      EXPECT_EQ(grid.node_id(), r / l.rpn);
    }
    EXPECT_EQ(grid.size(Group::Dp), world / l.mp);
    EXPECT_EQ(grid.size(Group::Edp), world / (l.ep * l.esp));
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

TEST(ProcessGrid, IndexFormula) {
  Layout l;
  l.world = 8;
  l.mp = 2;
  l.ep = 4;
  l.esp = 2;
  // DeepSpeed's example: with esp = mp = 2, EP groups are strided by mp.
  std::vector<int> ep_of_group0;
  for (int q = 0; q < 8; ++q)
    if (group_index(q, l).esp == 0 && group_index(q, l).edp == 0) ep_of_group0.push_back(q);
  EXPECT_EQ(ep_of_group0, (std::vector<int>{0, 2, 4, 6}));
}

}  // namespace
}  // namespace paramoe
