// The MPI backend's nonblocking row collectives (what s2's pipeline and the
// data-centric weight cache start and wait on), at uneven rows with zero-row
// peers: the pairwise reduce-scatter gives every rank the sum of its block over
// the ranks, added in rank order (so bit for bit the float sum computed here) and
// within rounding of the blocking MPI_Reduce_scatter; the all-gather and the
// all-to-all move every row exactly; and all three complete while in flight
// together, waited on in any order. Run with --mpi-thread-multiple, the same with
// a progress thread polling them (moe.progress = "thread").
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>

#include "comm/mpi_collectives.h"
#include "comm/process_grid.h"
#include "core/rng.h"
#include "tests/mpi_test_args.h"

namespace paramoe {
namespace {

constexpr int kRowLen = 5;

// Rows of rank q's block of the reduce-scatter: 0 for the last rank when n > 1.
std::vector<int> block_rows(int n, uint64_t seed) {
  std::vector<int> rows(n);
  for (int q = 0; q < n; ++q)
    rows[q] = q == n - 1 && n > 1 ? 0 : 1 + static_cast<int>(uniform01(seed, 1, q) * 7);
  return rows;
}

// Rank r's contribution (all ranks can compute every rank's).
std::vector<float> contribution(int r, size_t count, uint64_t seed) {
  std::vector<float> v(count);
  for (size_t i = 0; i < count; ++i) v[i] = static_cast<float>(normal01(seed, 100 + r, i));
  return v;
}

struct World {
  World() {
    int level = MPI_THREAD_SINGLE;
    MPI_Query_thread(&level);
    if (level == MPI_THREAD_MULTIPLE) coll.start_progress_thread(20);
  }
  ProcessGrid grid = ProcessGrid::create(MPI_COMM_WORLD, ParallelConfig{}, MoeConfig{});
  MpiCollectives coll{grid};
  int me = test::comm_rank(), n = test::comm_size();
};

// The reduce-scatter's expected block on rank `me`: Σ over ranks in rank order.
std::vector<float> expected_block(int me, int n, const std::vector<int>& rows, uint64_t seed) {
  size_t total = 0, at = 0;
  for (int q = 0; q < n; ++q) {
    if (q < me) at += rows[q];
    total += rows[q];
  }
  const size_t len = static_cast<size_t>(rows[me]) * kRowLen;
  std::vector<float> sum(len);
  for (int r = 0; r < n; ++r) {
    const std::vector<float> c = contribution(r, total * kRowLen, seed);
    for (size_t i = 0; i < len; ++i)
      sum[i] = r == 0 ? c[at * kRowLen + i] : sum[i] + c[at * kRowLen + i];
  }
  return sum;
}

TEST(NonblockingCollectives, ReduceScatterSumsInRankOrder) {
  World w;
  for (uint64_t seed : {3u, 4u, 5u}) {
    const std::vector<int> rows = block_rows(w.n, seed);
    size_t total = 0;
    for (int r : rows) total += r;
    const std::vector<float> send = contribution(w.me, total * kRowLen, seed);
    std::vector<float> got(static_cast<size_t>(rows[w.me]) * kRowLen, -1.0f), blocking(got);
    w.coll.wait(
        w.coll.start_reduce_scatterv_rows(Group::World, send.data(), got.data(), rows, kRowLen));
    w.coll.reduce_scatterv_rows(Group::World, send.data(), blocking.data(), rows, kRowLen);
    const std::vector<float> want = expected_block(w.me, w.n, rows, seed);
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i], want[i]) << "seed " << seed << " element " << i;
      // The blocking one may add in another order: n roundings of values ~N(0, n).
      EXPECT_NEAR(got[i], blocking[i], 4e-7f * w.n * std::sqrt(static_cast<float>(w.n)) * 4.0f);
    }
  }
}

TEST(NonblockingCollectives, ThreeInFlightWaitedInReverse) {
  World w;
  const uint64_t seed = 11;
  // Reduce-scatter.
  const std::vector<int> rs_rows = block_rows(w.n, seed);
  size_t rs_total = 0;
  for (int r : rs_rows) rs_total += r;
  const std::vector<float> rs_send = contribution(w.me, rs_total * kRowLen, seed);
  std::vector<float> rs_got(static_cast<size_t>(rs_rows[w.me]) * kRowLen);
  // All-gather: rank q contributes q % 3 rows of value 1000 q + index.
  std::vector<int> ag_rows(w.n);
  size_t ag_total = 0;
  for (int q = 0; q < w.n; ++q) ag_total += ag_rows[q] = q % 3;
  std::vector<float> ag_send(static_cast<size_t>(ag_rows[w.me]) * kRowLen);
  for (size_t i = 0; i < ag_send.size(); ++i) ag_send[i] = 1000.0f * w.me + i;
  std::vector<float> ag_got(ag_total * kRowLen);
  // All-to-all: rank s sends (s + d) % 3 rows of value 1000 s + 100 d + index to d.
  std::vector<int> send_rows(w.n), recv_rows(w.n);
  std::vector<float> a2a_send;
  size_t a2a_total = 0;
  for (int q = 0; q < w.n; ++q) {
    send_rows[q] = (w.me + q) % 3;
    a2a_total += recv_rows[q] = (q + w.me) % 3;
    for (int i = 0; i < send_rows[q] * kRowLen; ++i)
      a2a_send.push_back(1000.0f * w.me + 100.0f * q + i);
  }
  std::vector<float> a2a_got(a2a_total * kRowLen);

  const auto rs = w.coll.start_reduce_scatterv_rows(Group::World, rs_send.data(), rs_got.data(),
                                                    rs_rows, kRowLen);
  const auto ag =
      w.coll.start_allgatherv_rows(Group::World, ag_send.data(), ag_got.data(), ag_rows, kRowLen);
  const auto a2a = w.coll.start_alltoallv_rows(Group::World, a2a_send.data(), send_rows,
                                               a2a_got.data(), recv_rows, kRowLen);
  w.coll.wait(a2a);
  w.coll.wait(ag);
  w.coll.wait(rs);

  EXPECT_EQ(rs_got, expected_block(w.me, w.n, rs_rows, seed));
  size_t at = 0;
  for (int q = 0; q < w.n; ++q)
    for (int i = 0; i < ag_rows[q] * kRowLen; ++i) EXPECT_EQ(ag_got[at++], 1000.0f * q + i);
  at = 0;
  for (int q = 0; q < w.n; ++q)
    for (int i = 0; i < recv_rows[q] * kRowLen; ++i)
      EXPECT_EQ(a2a_got[at++], 1000.0f * q + 100.0f * w.me + i) << "from " << q;
}

}  // namespace
}  // namespace paramoe
