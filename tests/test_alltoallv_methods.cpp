// native, pairwise, ordered (greedy and BvN), 2DH (over emulated nodes: two
// blocks, two interleaved halves, four blocks) and auto all-to-all(v) move the
// same rows to the same places: each received row must hold exactly the values
// its sender wrote for that (sender, receiver, row) — checked element by
// element — on random, skewed, zero-row, zero-column and empty traffic.
#include <gtest/gtest.h>
#include <mpi.h>

#include <map>
#include <memory>

#include "comm/alltoallv_2dh.h"
#include "comm/alltoallv_methods.h"
#include "core/error.h"
#include "core/rng.h"
#include "plan/traffic.h"

namespace paramoe {
namespace {

constexpr int kRowLen = 3;

float value(int src, int dst, int row, int col) {
  return static_cast<float>(src * 1000000 + dst * 10000 + row * 10 + col);
}

// The whole matrix is known to every rank (same seed), as after a counts exchange.
TrafficMatrix matrix(const std::string& kind, int n) {
  TrafficMatrix m(n);
  if (kind == "zipf" || kind == "hot") {
    return make_traffic(
        {.kind = kind, .ranks = n, .experts = 4 * n, .tokens = 200, .hot_fraction = 0.4});
  }
  for (int k = 0; k < n * n; ++k) m.d[k] = static_cast<int64_t>(uniform01(5, 9, k) * 40);
  if (kind == "zero-row")
    for (int j = 0; j < n; ++j) m.at(0, j) = 0;
  if (kind == "zero-col")
    for (int i = 0; i < n; ++i) m.at(i, n - 1) = 0;
  if (kind == "empty") m.d.assign(m.d.size(), 0);
  return m;
}

class AlltoallvMethods : public ::testing::TestWithParam<std::string> {};

TEST_P(AlltoallvMethods, SameRowsInSamePlaces) {
  int me = 0, n = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &me);
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  const TrafficMatrix m = matrix(GetParam(), n);
  std::vector<int> send_rows(n), recv_rows(n);
  for (int q = 0; q < n; ++q) {
    send_rows[q] = static_cast<int>(m.at(me, q));
    recv_rows[q] = static_cast<int>(m.at(q, me));
  }
  std::vector<float> send;
  for (int q = 0; q < n; ++q)
    for (int r = 0; r < send_rows[q]; ++r)
      for (int c = 0; c < kRowLen; ++c) send.push_back(value(me, q, r, c));
  std::vector<float> expect;
  for (int q = 0; q < n; ++q)
    for (int r = 0; r < recv_rows[q]; ++r)
      for (int c = 0; c < kRowLen; ++c) expect.push_back(value(q, me, r, c));

  MPI_Datatype row;
  MPI_Type_contiguous(kRowLen, MPI_FLOAT, &row);
  MPI_Type_commit(&row);
  // Emulated nodes for 2DH; a split that is not usable (one node, or four nodes
  // that do not divide the ranks) is skipped.
  std::map<std::string, std::unique_ptr<TwoLevelComm>> levels;
  levels["2dh-halves"] = std::make_unique<TwoLevelComm>(MPI_COMM_WORLD, me / ((n + 1) / 2));
  levels["2dh-interleaved"] = std::make_unique<TwoLevelComm>(MPI_COMM_WORLD, me % 2);
  levels["2dh-quarters"] = std::make_unique<TwoLevelComm>(MPI_COMM_WORLD, n % 4 ? 0 : me / (n / 4));
  EXPECT_EQ(levels["2dh-halves"]->problem().empty(), n >= 2 && n % 2 == 0);
  EXPECT_EQ(levels["2dh-quarters"]->problem().empty(), n >= 4 && n % 4 == 0);
  for (const std::string method :
       {"native", "pairwise", "greedy", "bvn", "auto-fast-links", "auto-slow-start", "2dh-halves",
        "2dh-interleaved", "2dh-quarters", "auto-2dh-fast-links", "auto-2dh-slow-start"}) {
    const bool two_level = method.find("2dh") != std::string::npos;
    const TwoLevelComm* split =
        two_level ? levels[method.rfind("auto", 0) == 0 ? "2dh-halves" : method].get() : nullptr;
    if (split && !split->problem().empty() && method.rfind("auto", 0) != 0) continue;
    std::vector<float> recv(expect.size() + 1, -1.0f);  // +1: nothing may land past the end
    const RowBuffers b{reinterpret_cast<const char*>(send.data()),
                       send_rows,
                       reinterpret_cast<char*>(recv.data()),
                       recv_rows,
                       row,
                       kRowLen * sizeof(float)};
    if (method == "native") {
      std::vector<int> sd(n, 0), rd(n, 0);
      for (int q = 1; q < n; ++q)
        sd[q] = sd[q - 1] + send_rows[q - 1], rd[q] = rd[q - 1] + recv_rows[q - 1];
      MPI_Alltoallv(send.data(), send_rows.data(), sd.data(), row, recv.data(), recv_rows.data(),
                    rd.data(), row, MPI_COMM_WORLD);
    } else if (method == "pairwise") {
      alltoallv_pairwise(MPI_COMM_WORLD, b);
    } else if (method.rfind("auto", 0) == 0) {
      // Two link models; every rank must pick alike, and what a2a_choose picks
      // from the whole matrix (which each rank here knows).
      A2aLinkModel model;
      model.latency_s = method.find("slow-start") != std::string::npos ? 1e-2 : 1e-7;
      model.intra_latency_s = 1e-7;
      A2aMethod want = a2a_choose(m, kRowLen * sizeof(float), OrderAlgorithm::Greedy, model);
      if (split && split->problem().empty()) {
        const A2aLevelPrice price = a2a_level_price(m, kRowLen * sizeof(float), *split, model);
        if (price.two_level < price.flat * 0.99) want = A2aMethod::TwoDh;
        // Start-ups dominate: N−1 slow messages beat N·L−1 once nodes hold
        // several ranks (and the traffic is not empty).
        if (method == "auto-2dh-slow-start" && n >= 4 && GetParam() != "empty") {
          EXPECT_EQ(want, A2aMethod::TwoDh);
        }
      }
      int pick =
          static_cast<int>(alltoallv_auto(MPI_COMM_WORLD, b, OrderAlgorithm::Greedy, model, split));
      EXPECT_EQ(pick, static_cast<int>(want)) << method;
      int lo = pick, hi = pick;
      MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
      MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
      EXPECT_EQ(lo, hi) << method << ": ranks picked different methods";
    } else if (two_level) {
      alltoallv_2dh(*split, b);
    } else {
      alltoallv_ordered(MPI_COMM_WORLD, b, order_algorithm_from_string(method));
    }
    int wrong = 0;
    for (size_t k = 0; k < expect.size(); ++k) wrong += recv[k] != expect[k];
    wrong += recv.back() != -1.0f;
    MPI_Allreduce(MPI_IN_PLACE, &wrong, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    EXPECT_EQ(wrong, 0) << method << " on " << GetParam();
  }
  MPI_Type_free(&row);
}

// On one node there is nothing to do in two levels: the split says why, and the
// exchange refuses with that reason rather than running flat.
TEST(TwoLevelComm, OneNodeIsRefused) {
  TwoLevelComm one(MPI_COMM_WORLD, 7);
  EXPECT_NE(one.problem().find("1 node(s)"), std::string::npos) << one.problem();
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  std::vector<int> zero(n, 0);
  float none = 0;
  const RowBuffers b{reinterpret_cast<const char*>(&none),
                     zero,
                     reinterpret_cast<char*>(&none),
                     zero,
                     MPI_FLOAT,
                     sizeof(float)};
  EXPECT_THROW(alltoallv_2dh(one, b), Error);
}

INSTANTIATE_TEST_SUITE_P(Traffic, AlltoallvMethods,
                         ::testing::Values("random", "zipf", "hot", "zero-row", "zero-col",
                                           "empty"));

}  // namespace
}  // namespace paramoe
